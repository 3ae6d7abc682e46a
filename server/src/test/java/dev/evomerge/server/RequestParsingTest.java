package dev.evomerge.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RequestParsingTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static JsonNode json(String s) throws Exception {
        return JSON.readTree(s);
    }

    @Test
    void completionDefaultsFollowOpenAi() throws Exception {
        CompletionRequest r = CompletionRequest.parse(json("{\"prompt\": \"hi\"}"), 256);
        assertThat(r.prompts()).containsExactly(new Prompt.Text("hi"));
        assertThat(r.maxTokens()).isEqualTo(16);
        assertThat(r.echo()).isFalse();
        assertThat(r.logprobs()).isEmpty();
        assertThat(r.sampling().temperature()).isEqualTo(1.0);
        assertThat(r.sampling().greedy()).isFalse();
        assertThat(r.stop()).isEmpty();
        assertThat(r.addSpecialTokens()).isTrue();
    }

    @Test
    void promptsInEveryShape() throws Exception {
        assertThat(((Prompt.Tokens) CompletionRequest.parse(json("{\"prompt\": [1, 5, 9]}"), 256).prompts().getFirst())
                .ids()).containsExactly(1, 5, 9);
        List<Prompt> batch = CompletionRequest.parse(json("{\"prompt\": [[1, 2], [3]]}"), 256).prompts();
        assertThat(batch).hasSize(2);
        assertThat(((Prompt.Tokens) batch.get(1)).ids()).containsExactly(3);
        List<Prompt> mixed = CompletionRequest.parse(json("{\"prompt\": [\"a\", [7]]}"), 256).prompts();
        assertThat(mixed.getFirst()).isEqualTo(new Prompt.Text("a"));
        assertThat(((Prompt.Tokens) mixed.get(1)).ids()).containsExactly(7);
    }

    @Test
    void lmEvalLoglikelihoodPayload() throws Exception {
        CompletionRequest r = CompletionRequest.parse(json("""
                {"model": "m", "prompt": [[1, 2, 3]], "temperature": 0, "max_tokens": 1, "logprobs": 1,
                 "seed": 1234, "echo": true}"""), 256);
        assertThat(r.maxTokens()).isEqualTo(1);
        assertThat(r.echo()).isTrue();
        assertThat(r.logprobs()).hasValue(1);
        assertThat(r.sampling().greedy()).isTrue();
        assertThat(r.sampling().seed()).hasValue(1234);
        CompletionRequest gen = CompletionRequest.parse(json("""
                {"prompt": "Q:", "max_tokens": 256, "temperature": 0, "stop": ["\\n\\n", "Q:"], "seed": 1234}"""),
                256);
        assertThat(gen.stop()).containsExactly("\n\n", "Q:");
        assertThat(CompletionRequest.parse(json("{\"prompt\": \"x\", \"stop\": \"END\", \"max_tokens\": 16.0}"), 256)
                .stop()).containsExactly("END");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{}|prompt|'prompt' is required",
            "{\"prompt\": 5}|prompt|'prompt' must be",
            "{\"prompt\": []}|prompt|'prompt' must be",
            "{\"prompt\": [1, \"a\"]}|prompt|item 1 is a string",
            "{\"prompt\": [1, 256]}|prompt|token id 256, outside the model's vocabulary of 256",
            "{\"prompt\": [-1]}|prompt|token id -1",
            "{\"prompt\": [[1], {}]}|prompt|'prompt[1]' must be",
            "{\"prompt\": \"x\", \"max_tokens\": -1}|max_tokens|between 0 and",
            "{\"prompt\": \"x\", \"max_tokens\": \"5\"}|max_tokens|must be an integer, got a string",
            "{\"prompt\": \"x\", \"max_tokens\": 1.5}|max_tokens|must be an integer",
            "{\"prompt\": \"x\", \"logprobs\": 21}|logprobs|between 0 and 20",
            "{\"prompt\": \"x\", \"logprobs\": true}|logprobs|must be an integer",
            "{\"prompt\": \"x\", \"temperature\": 3}|temperature|between 0.0 and 2.0",
            "{\"prompt\": \"x\", \"temperature\": \"hot\"}|temperature|must be a number",
            "{\"prompt\": \"x\", \"top_p\": 0}|top_p|greater than 0",
            "{\"prompt\": \"x\", \"echo\": 1}|echo|must be true or false",
            "{\"prompt\": \"x\", \"stop\": 3}|stop|string or a list of strings",
            "{\"prompt\": \"x\", \"stop\": [\"\"]}|stop|empty strings",
            "{\"prompt\": \"x\", \"n\": 2}|n|between 1 and 1",
            "{\"prompt\": \"x\", \"stream\": \"yes\"}|stream|must be true or false",
            "{\"prompt\": \"x\", \"presence_penalty\": 0.5}|presence_penalty|not supported",
            "{\"prompt\": \"x\", \"logit_bias\": {\"5\": 10}}|logit_bias|not supported",
            "{\"prompt\": \"x\", \"suffix\": \"y\"}|suffix|not supported",
            "{\"prompt\": \"x\", \"seed\": \"abc\"}|seed|must be an integer",
            "{\"prompt\": \"x\", \"model\": 3}|model|must be a string"})
    void invalidCompletionFieldsName(String body, String param, String message) {
        assertThatThrownBy(() -> CompletionRequest.parse(json(body), 256))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.status()).isEqualTo(400);
                    assertThat(e.error().type()).isEqualTo("invalid_request_error");
                    assertThat(e.error().param()).isEqualTo(param);
                })
                .hasMessageContaining(message);
    }

    @Test
    void chatRequests() throws Exception {
        ChatRequest r = ChatRequest.parse(json("""
                {"model": "m", "messages": [{"role": "system", "content": "S"},
                  {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]},
                  {"role": "assistant", "content": null}],
                 "max_tokens": 7, "temperature": 0, "response_format": {"type": "json_object"},
                 "logprobs": true, "top_logprobs": 2}"""));
        assertThat(r.messages()).extracting(m -> m.role() + ":" + m.content())
                .containsExactly("system:S", "user:ab", "assistant:");
        assertThat(r.maxTokens()).hasValue(7);
        assertThat(r.jsonObject()).isTrue();
        assertThat(r.topLogprobs()).hasValue(2);
        assertThat(r.addGenerationPrompt()).isTrue();
        ChatRequest plain = ChatRequest.parse(json("{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}],"
                + " \"max_completion_tokens\": 3, \"response_format\": {\"type\": \"text\"}}"));
        assertThat(plain.maxTokens()).hasValue(3);
        assertThat(plain.jsonObject()).isFalse();
        assertThat(plain.topLogprobs()).isEmpty();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "{}|messages|'messages' is required",
            "{\"messages\": []}|messages|non-empty list",
            "{\"messages\": [\"hi\"]}|messages|'messages[0]' must be an object",
            "{\"messages\": [{\"content\": \"x\"}]}|messages|'messages[0].role'",
            "{\"messages\": [{\"role\": \"user\", \"content\": 5}]}|messages|'messages[0].content'",
            "{\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\"}]}]}|messages|text only",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"response_format\": {\"type\": \"json_schema\"}}|response_format|not supported",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"response_format\": \"json\"}|response_format|must be",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"top_logprobs\": 2}|top_logprobs|needs 'logprobs'",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"max_tokens\": 0}|max_tokens|between 1 and",
            "{\"messages\": [{\"role\": \"user\", \"content\": \"x\"}], \"tools\": [{}]}|tools|not supported"})
    void invalidChatFieldsName(String body, String param, String message) {
        assertThatThrownBy(() -> ChatRequest.parse(json(body)))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.error().param()).isEqualTo(param))
                .hasMessageContaining(message);
    }
}
