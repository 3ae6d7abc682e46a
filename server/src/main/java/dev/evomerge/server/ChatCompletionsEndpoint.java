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
final class ChatCompletionsEndpoint implements GenerationEndpoint<ChatRequest> {

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
    @Override
    public ChatRequest parse(JsonNode body) {
        ChatRequest req = ChatRequest.parse(body);
        served.promptBudget().checkAll(req.messages().stream().map(ChatMessage::content).toList(),
                "The messages' content", "messages");
        return req;
    }

    @Override
    public ObjectNode handle(ChatRequest req, long fallbackSeed, String id, long created) {
        Prepared prepared = prepare(req);
        int[] prompt = prepared.prompt();
        int maxTokens = prepared.maxTokens();
        int topN = req.topLogprobs().orElse(0);
        Completion c = req.jsonObject()
                ? jsonDecoding.generate(prompt, maxTokens, req.sampling(), req.stop(), topN, fallbackSeed)
                : generation.generate(List.of(prompt), maxTokens, req.sampling(), req.stop(), false, topN,
                        fallbackSeed).getFirst();

        ObjectNode response = GenerationEndpoint.head(id, "chat.completion", created, served);
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

    /** The rendered prompt's tokens and the tokens left to generate. */
    private record Prepared(int[] prompt, int maxTokens) {
    }

    /** Renders the messages with the chat template and checks the prompt and max_tokens against the context. */
    private Prepared prepare(ChatRequest req) {
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
        return new Prepared(prompt, maxTokens);
    }

    /**
     * {@code stream: true}: the role chunk, a chunk per piece of text as tokens are generated (with logprobs when
     * asked), a last chunk with the finish_reason, the usage chunk when asked, and [DONE]. A client that goes away
     * stops the generation. A json_object reply is decided whole (its decoding may replace tokens) and then sent as
     * one content chunk.
     */
    @Override
    public void stream(ChatRequest req, StreamOptions options, long fallbackSeed, String id, long created, SseWriter out) {
        Prepared prepared = prepare(req);
        int[] prompt = prepared.prompt();
        int topN = req.topLogprobs().orElse(0);
        StreamChunks chunks = new StreamChunks(served, id, created, "chat.completion.chunk", options.includeUsage());
        TextStream text = new TextStream(served, generation, prompt, req.stop());
        if (!out.send(chunks.chatRole())) {
            return;
        }
        java.util.function.Consumer<TextStream.Delta> send = d -> {
            if (!d.isEmpty()) {
                out.send(chunks.chat(d, req.topLogprobs(), null));
            }
        };
        Completion c;
        if (req.jsonObject()) {
            c = jsonDecoding.generate(prompt, prepared.maxTokens(), req.sampling(), req.stop(), topN, fallbackSeed);
        } else {
            c = generation.generate(List.of(prompt), prepared.maxTokens(), req.sampling(), req.stop(), false, topN,
                    fallbackSeed, i -> token -> send.accept(text.add(token)), out::gone).getFirst();
        }
        if (out.gone()) {
            return;
        }
        TextStream.Delta rest = text.finish(c);
        if (!rest.isEmpty()) {
            send.accept(rest);
        }
        out.send(chunks.chat(new TextStream.Delta("", List.of(), List.of(), 0, prompt, prompt.length),
                req.topLogprobs(), c.finishReason()));
        if (options.includeUsage()) {
            out.send(chunks.usage(prompt.length, c.generatedTokens()));
        }
        out.done();
    }

    /** The chat logprobs object: {@code {"content": [{token, logprob, bytes, top_logprobs: [...]}]}}. */
    private ObjectNode logprobs(Completion c, int topN) {
        ObjectNode lp = JSON.objectNode();
        int[] context = TextGeneration.concat(c.prompt(), TextGeneration.ids(c.tokens()));
        logprobContent(served, context, c.prompt().length, c.tokens(), c.pieces(), topN, lp.putArray("content"));
        return lp;
    }

    /**
     * The entries of {@code logprobs.content} for {@code tokens}, the first at {@code position} of {@code context}
     * (the prompt and the generated tokens), each with the text it adds ({@code pieces}).
     */
    static void logprobContent(ServedModel served, int[] context, int position, List<GeneratedToken> tokens,
                               List<String> pieces, int topN, ArrayNode content) {
        for (int k = 0; k < tokens.size(); k++) {
            GeneratedToken g = tokens.get(k);
            ObjectNode entry = content.addObject();
            tokenEntry(entry, pieces.get(k), g.logprob());
            ArrayNode top = entry.putArray("top_logprobs");
            for (TokenScore t : g.top().subList(0, Math.min(topN, g.top().size()))) {
                double v = t.token() == g.token() ? g.logprob() : t.logprob();
                tokenEntry(top.addObject(), served.tokenizer().piece(context, position + k, t.token()), v);
            }
        }
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
