package dev.evomerge.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * An OpenAI endpoint that generates: it parses a request body on the request's thread, then answers on the model
 * thread with one JSON object, or with server-sent events when the body asks for {@code stream: true}.
 *
 * @param <R> the parsed request
 */
interface GenerationEndpoint<R> {

    /** Validates the body; a bad one is an {@link ApiException}. */
    R parse(JsonNode body);

    /** The whole reply, with the given id and creation time. */
    ObjectNode handle(R req, long fallbackSeed, String id, long created);

    /** The reply as events written to {@code out}. */
    void stream(R req, StreamOptions options, long fallbackSeed, String id, long created, SseWriter out);

    /** The fields every reply object and stream chunk starts with: id, object (its kind), created and model. */
    static ObjectNode head(String id, String object, long created, ServedModel served) {
        ObjectNode head = JsonNodeFactory.instance.objectNode();
        head.put("id", id);
        head.put("object", object);
        head.put("created", created);
        head.put("model", served.name());
        return head;
    }
}
