package dev.evomerge.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.engine.GeneratedToken;

import java.util.OptionalInt;

/**
 * The chunks of one streamed reply in OpenAI's format: {@code text_completion} chunks with {@code text} and the
 * legacy logprobs object, or {@code chat.completion.chunk} chunks with a {@code delta}; {@code finish_reason} null
 * until a choice's last chunk; {@code "usage": null} on every chunk and a last one with {@code choices: []} and the
 * usage when {@code stream_options.include_usage} asked for it.
 */
final class StreamChunks {

    private final ServedModel served;
    private final String id;
    private final long created;
    private final String object;
    private final boolean includeUsage;

    StreamChunks(ServedModel served, String id, long created, String object, boolean includeUsage) {
        this.served = served;
        this.id = id;
        this.created = created;
        this.object = object;
        this.includeUsage = includeUsage;
    }

    /** A completions chunk of choice {@code index}; {@code finishReason} null while the choice goes on. */
    ObjectNode completion(int index, TextStream.Delta d, OptionalInt logprobs, String finishReason) {
        ObjectNode chunk = head();
        ObjectNode choice = chunk.putArray("choices").addObject();
        choice.put("index", index);
        choice.put("text", d.text());
        if (logprobs.isPresent()) {
            ObjectNode lp = choice.putObject("logprobs");
            ArrayNode tokens = lp.putArray("tokens");
            ArrayNode values = lp.putArray("token_logprobs");
            ArrayNode tops = lp.putArray("top_logprobs");
            ArrayNode offsets = lp.putArray("text_offset");
            int at = d.textOffset();
            for (int k = 0; k < d.tokens().size(); k++) {
                GeneratedToken g = d.tokens().get(k);
                String piece = d.pieces().get(k);
                tokens.add(piece);
                values.add(CompletionsEndpoint.finite(g.logprob()));
                tops.add(CompletionsEndpoint.topDict(d.context(), d.position() + k,
                        g.top().subList(0, Math.min(logprobs.getAsInt(), g.top().size())), g.token(), g.logprob(),
                        served.tokenizer()));
                offsets.add(at);
                at += piece.codePointCount(0, piece.length());
            }
        } else {
            choice.putNull("logprobs");
        }
        finish(choice, finishReason);
        return tail(chunk);
    }

    /** The first chat chunk: the assistant's role and empty content. */
    ObjectNode chatRole() {
        ObjectNode chunk = head();
        ObjectNode choice = chunk.putArray("choices").addObject();
        choice.put("index", 0);
        choice.putObject("delta").put("role", "assistant").put("content", "");
        choice.putNull("logprobs");
        choice.putNull("finish_reason");
        return tail(chunk);
    }

    /** A chat chunk: the delta's content (none in a last, empty chunk) and its tokens' logprobs when asked. */
    ObjectNode chat(TextStream.Delta d, OptionalInt topLogprobs, String finishReason) {
        ObjectNode chunk = head();
        ObjectNode choice = chunk.putArray("choices").addObject();
        choice.put("index", 0);
        ObjectNode delta = choice.putObject("delta");
        if (!d.text().isEmpty() || finishReason == null) {
            delta.put("content", d.text());
        }
        if (topLogprobs.isPresent() && !d.tokens().isEmpty()) {
            ChatCompletionsEndpoint.logprobContent(served, d.context(), d.position(), d.tokens(), d.pieces(),
                    topLogprobs.getAsInt(), choice.putObject("logprobs").putArray("content"));
        } else {
            choice.putNull("logprobs");
        }
        finish(choice, finishReason);
        return tail(chunk);
    }

    /** The usage chunk (after every choice's last chunk). */
    ObjectNode usage(int promptTokens, int completionTokens) {
        ObjectNode chunk = head();
        chunk.putArray("choices");
        ObjectNode usage = chunk.putObject("usage");
        usage.put("prompt_tokens", promptTokens);
        usage.put("completion_tokens", completionTokens);
        usage.put("total_tokens", promptTokens + completionTokens);
        return chunk;
    }

    private ObjectNode head() {
        return GenerationEndpoint.head(id, object, created, served);
    }

    private ObjectNode tail(ObjectNode chunk) {
        if (includeUsage) {
            chunk.putNull("usage");
        }
        return chunk;
    }

    private static void finish(ObjectNode choice, String finishReason) {
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
    }
}
