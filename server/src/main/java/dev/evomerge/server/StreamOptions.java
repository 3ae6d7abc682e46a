package dev.evomerge.server;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A request's {@code stream} and {@code stream_options}: whether the reply is a stream of server-sent events, and
 * whether a last chunk carries the usage ({@code stream_options.include_usage}), as OpenAI and vLLM define them.
 */
record StreamOptions(boolean enabled, boolean includeUsage) {

    static StreamOptions parse(JsonNode body) {
        Fields f = new Fields(body);
        boolean stream = f.bool("stream").orElse(false);
        JsonNode options = f.raw("stream_options");
        if (options == null) {
            return new StreamOptions(stream, false);
        }
        if (!stream) {
            throw ApiException.invalid("'stream_options' needs 'stream': true.", "stream_options");
        }
        if (!options.isObject()) {
            throw ApiException.invalid("'stream_options' must be an object such as {\"include_usage\": true}, got "
                    + Fields.kind(options) + ".", "stream_options");
        }
        Fields o = new Fields(options);
        boolean usage = o.bool("include_usage").orElse(false);
        o.bool("continuous_usage_stats").ifPresent(on -> {
            if (on) {
                throw ApiException.invalid("'stream_options.continuous_usage_stats' is not supported; use"
                        + " 'include_usage'.", "stream_options");
            }
        });
        return new StreamOptions(true, usage);
    }
}
