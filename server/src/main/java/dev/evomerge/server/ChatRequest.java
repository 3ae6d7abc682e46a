package dev.evomerge.server;

import com.fasterxml.jackson.databind.JsonNode;
import dev.evomerge.engine.chat.ChatMessage;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * A validated {@code POST /v1/chat/completions} body.
 *
 * @param maxTokens   {@code max_completion_tokens} or {@code max_tokens}; empty: up to the context length
 * @param jsonObject  {@code response_format: {"type": "json_object"}}
 * @param topLogprobs alternatives per token when {@code logprobs} is true, else empty
 */
record ChatRequest(List<ChatMessage> messages, OptionalInt maxTokens, SamplingParams sampling, List<String> stop,
                   boolean jsonObject, OptionalInt topLogprobs, boolean addGenerationPrompt) {

    ChatRequest {
        messages = List.copyOf(messages);
        stop = List.copyOf(stop);
    }

    static ChatRequest parse(JsonNode body) {
        Fields f = new Fields(body);
        f.string("model");
        List<ChatMessage> messages = messages(f.raw("messages"));
        OptionalInt maxTokens = f.integer("max_completion_tokens", 1, Integer.MAX_VALUE);
        if (maxTokens.isEmpty()) {
            maxTokens = f.integer("max_tokens", 1, Integer.MAX_VALUE);
        }
        SamplingParams sampling = SamplingParams.read(f);
        List<String> stop = f.stop("stop");
        f.integer("n", 1, 1);
        StreamOptions.parse(body); // stream and stream_options: checked here, read by the server
        f.requireNeutral("presence_penalty", 0);
        f.requireNeutral("frequency_penalty", 0);
        f.requireEmptyObject("logit_bias");
        if (f.has("tools") && !(f.raw("tools").isArray() && f.raw("tools").isEmpty())) {
            throw ApiException.invalid("'tools' is not supported by this server.", "tools");
        }
        boolean logprobs = f.bool("logprobs").orElse(false);
        OptionalInt top = f.integer("top_logprobs", 0, CompletionRequest.MAX_LOGPROBS);
        if (top.isPresent() && !logprobs) {
            throw ApiException.invalid("'top_logprobs' needs 'logprobs': true.", "top_logprobs");
        }
        OptionalInt topLogprobs = logprobs ? OptionalInt.of(top.orElse(0)) : OptionalInt.empty();
        boolean json = responseFormat(f.raw("response_format"));
        boolean addGenerationPrompt = f.bool("add_generation_prompt").orElse(true);
        return new ChatRequest(messages, maxTokens, sampling, stop, json, topLogprobs, addGenerationPrompt);
    }

    private static List<ChatMessage> messages(JsonNode v) {
        if (v == null) {
            throw ApiException.invalid("'messages' is required.", "messages");
        }
        if (!v.isArray() || v.isEmpty()) {
            throw ApiException.invalid("'messages' must be a non-empty list of {role, content}.", "messages");
        }
        List<ChatMessage> out = new ArrayList<>();
        int i = 0;
        for (JsonNode m : v) {
            String where = "messages[" + i++ + "]";
            if (!m.isObject()) {
                throw ApiException.invalid("'" + where + "' must be an object with 'role' and 'content'.", "messages");
            }
            JsonNode role = m.get("role");
            if (role == null || !role.isTextual() || role.asText().isEmpty()) {
                throw ApiException.invalid("'" + where + ".role' must be a non-empty string.", "messages");
            }
            out.add(new ChatMessage(role.asText(), content(m.get("content"), where)));
        }
        return out;
    }

    /** A string, null (an assistant turn without text), or a list of {@code {"type": "text", "text": ...}} parts. */
    private static String content(JsonNode c, String where) {
        if (c == null || c.isNull()) {
            return "";
        }
        if (c.isTextual()) {
            return c.asText();
        }
        if (c.isArray()) {
            StringBuilder text = new StringBuilder();
            for (JsonNode part : c) {
                if (!part.isObject() || !"text".equals(part.path("type").asText()) || !part.path("text").isTextual()) {
                    throw ApiException.invalid("'" + where + ".content' parts must be {\"type\": \"text\", \"text\":"
                            + " ...}; this server reads text only.", "messages");
                }
                text.append(part.get("text").asText());
            }
            return text.toString();
        }
        throw ApiException.invalid("'" + where + ".content' must be a string or a list of text parts.", "messages");
    }

    private static boolean responseFormat(JsonNode v) {
        if (v == null) {
            return false;
        }
        String type = v.isObject() ? v.path("type").asText("") : "";
        return switch (type) {
            case "text" -> false;
            case "json_object" -> true;
            case "json_schema" -> throw ApiException.invalid("response_format 'json_schema' is not supported;"
                    + " use {\"type\": \"json_object\"}.", "response_format");
            default -> throw ApiException.invalid("'response_format' must be {\"type\": \"text\"} or"
                    + " {\"type\": \"json_object\"}.", "response_format");
        };
    }
}
