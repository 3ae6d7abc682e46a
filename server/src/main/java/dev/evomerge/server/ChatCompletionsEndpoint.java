package dev.evomerge.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.engine.GeneratedToken;
import dev.evomerge.engine.TokenScore;
import dev.evomerge.engine.chat.ChatMessage;
import dev.evomerge.engine.chat.ChatTemplate;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** {@code POST /v1/chat/completions}: messages through the model's chat template, one assistant reply. */
final class ChatCompletionsEndpoint {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;

    private final ServedModel served;
    private final TextGeneration generation;
    private final JsonObjectDecoding jsonDecoding;

    ChatCompletionsEndpoint(ServedModel served) {
        this.served = served;
        this.generation = new TextGeneration(served);
        this.jsonDecoding = new JsonObjectDecoding(served, generation);
    }

    /**
     * Validates a body on the request's own thread. Messages whose text alone cannot fit the context are refused
     * before the template renders them (templates show each message's text; none of the common ones drops any).
     */
    ChatRequest parse(JsonNode body) {
        ChatRequest req = ChatRequest.parse(body);
        served.promptBudget().checkAll(req.messages().stream().map(ChatMessage::content).toList(),
                "The messages' content", "messages");
        return req;
    }

    ObjectNode handle(ChatRequest req, long fallbackSeed, String id, long created) {
        ChatTemplate template = served.chatTemplate().orElseThrow(() -> ApiException.invalid("The model "
                + served.name() + " has no chat template (tokenizer_config.json chat_template, chat_template.jinja"
                + " or chat_template.json); use /v1/completions.", "messages"));
        String promptText;
        try {
            promptText = template.render(req.messages(), req.addGenerationPrompt());
        } catch (EvomergeException e) {
            throw ApiException.invalid(e.getMessage(), "messages");
        }
        served.promptBudget().check(promptText, "The rendered chat prompt", "messages");
        // the template writes the special tokens itself, as transformers' apply_chat_template assumes
        int[] prompt = served.tokenizer().encode(promptText, false);
        if (prompt.length == 0) {
            throw ApiException.invalid("The chat template rendered these messages to an empty prompt.", "messages");
        }
        int room = served.contextLength() - prompt.length;
        int maxTokens = req.maxTokens().orElse(room);
        if (room < 1 || maxTokens > room) {
            throw ApiException.invalid("This model's maximum context length is " + served.contextLength()
                    + " tokens, but the messages take " + prompt.length + " tokens and max_tokens is " + maxTokens
                    + ".", "messages", "context_length_exceeded");
        }
        int topN = req.topLogprobs().orElse(0);
        Completion c = req.jsonObject()
                ? jsonDecoding.generate(prompt, maxTokens, req.sampling(), req.stop(), topN, fallbackSeed)
                : generation.generate(List.of(prompt), maxTokens, req.sampling(), req.stop(), false, topN,
                        fallbackSeed).getFirst();

        ObjectNode response = JSON.objectNode();
        response.put("id", id);
        response.put("object", "chat.completion");
        response.put("created", created);
        response.put("model", served.name());
        ArrayNode choices = response.putArray("choices");
        ObjectNode choice = choices.addObject();
        choice.put("index", 0);
        ObjectNode message = choice.putObject("message");
        message.put("role", "assistant");
        message.put("content", c.text());
        if (req.topLogprobs().isPresent()) {
            choice.set("logprobs", logprobs(c, topN));
        } else {
            choice.putNull("logprobs");
        }
        choice.put("finish_reason", c.finishReason());
        ObjectNode usage = response.putObject("usage");
        usage.put("prompt_tokens", prompt.length);
        usage.put("completion_tokens", c.generatedTokens());
        usage.put("total_tokens", prompt.length + c.generatedTokens());
        return response;
    }

    /** The chat logprobs object: {@code {"content": [{token, logprob, bytes, top_logprobs: [...]}]}}. */
    private ObjectNode logprobs(Completion c, int topN) {
        ObjectNode lp = JSON.objectNode();
        ArrayNode content = lp.putArray("content");
        int[] context = TextGeneration.concat(c.prompt(), TextGeneration.ids(c.tokens()));
        for (int k = 0; k < c.tokens().size(); k++) {
            GeneratedToken g = c.tokens().get(k);
            ObjectNode entry = content.addObject();
            tokenEntry(entry, c.pieces().get(k), g.logprob());
            ArrayNode top = entry.putArray("top_logprobs");
            for (TokenScore t : g.top().subList(0, Math.min(topN, g.top().size()))) {
                double v = t.token() == g.token() ? g.logprob() : t.logprob();
                tokenEntry(top.addObject(), served.tokenizer().piece(context, c.prompt().length + k, t.token()), v);
            }
        }
        return lp;
    }

    private static void tokenEntry(ObjectNode entry, String token, double logprob) {
        entry.put("token", token);
        entry.put("logprob", CompletionsEndpoint.finite(logprob));
        ArrayNode bytes = entry.putArray("bytes");
        for (byte b : token.getBytes(StandardCharsets.UTF_8)) {
            bytes.add(b & 0xff);
        }
    }
}
