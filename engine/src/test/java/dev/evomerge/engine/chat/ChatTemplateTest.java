package dev.evomerge.engine.chat;

import dev.evomerge.core.EvomergeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Templates written here from the public descriptions of three prompt formats; the expected prompts are written out
 * by hand from those descriptions.
 */
class ChatTemplateTest {

    /** Llama 3: header-wrapped roles, content trimmed, each turn ends with eot; BOS once at the start. */
    static final String LLAMA3 = """
            {{- bos_token }}
            {%- for message in messages %}
                {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}
            {%- endfor %}
            {%- if add_generation_prompt %}
                {{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}
            {%- endif %}
            """;

    /** ChatML as Qwen2 uses it: a default system turn when the conversation has none. */
    static final String CHATML = "{% for message in messages %}{% if loop.first and message.role != 'system' %}"
            + "{{ '<|im_start|>system\\nYou are a helpful assistant.<|im_end|>\\n' }}{% endif %}"
            + "{{ '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}{% endfor %}"
            + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    /** Mistral instruct: [INST] turns, a system message folded into the first user turn, roles must alternate. */
    static final String MISTRAL = """
            {%- if messages[0]['role'] == 'system' %}
                {%- set system_message = messages[0]['content'].strip() %}
                {%- set loop_messages = messages[1:] %}
            {%- else %}
                {%- set system_message = '' %}
                {%- set loop_messages = messages %}
            {%- endif %}
            {{- bos_token }}
            {%- for message in loop_messages %}
                {%- if not (message['role'].startswith('user') or message['role'].startswith('assistant')) %}
                    {{- raise_exception('Only user and assistant roles are supported after the system message!') }}
                {%- endif %}
                {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}
                    {{- raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}
                {%- endif %}
                {%- if message['role'] == 'user' %}
                    {%- if loop.first and system_message != '' %}
                        {{- '[INST] ' + system_message + '\\n\\n' + message['content'].strip() + ' [/INST]' }}
                    {%- else %}
                        {{- '[INST] ' + message['content'].strip() + ' [/INST]' }}
                    {%- endif %}
                {%- else %}
                    {{- ' ' + message['content'].strip() + eos_token }}
                {%- endif %}
            {%- endfor %}
            """;

    private static final List<ChatMessage> CONVERSATION = List.of(
            ChatMessage.system(" Be brief. "),
            ChatMessage.user("What is 2+2?\n"),
            ChatMessage.assistant("4"),
            ChatMessage.user("And 3+3?"));

    @Test
    void llama3() {
        ChatTemplate t = ChatTemplate.of(LLAMA3, Map.of("bos_token", "<|begin_of_text|>", "eos_token", "<|eot_id|>"), "test");
        assertThat(t.render(CONVERSATION, true)).isEqualTo(
                "<|begin_of_text|>"
                        + "<|start_header_id|>system<|end_header_id|>\n\nBe brief.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n4<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nAnd 3+3?<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n");
        assertThat(t.render(List.of(ChatMessage.user("hi")), false)).isEqualTo(
                "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>");
    }

    @Test
    void chatMlWithAndWithoutSystemTurn() {
        ChatTemplate t = ChatTemplate.of(CHATML, Map.of("eos_token", "<|im_end|>"), "test");
        assertThat(t.render(List.of(ChatMessage.user("Hi"), ChatMessage.assistant("Hello!"),
                ChatMessage.user("Bye")), true)).isEqualTo(
                "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
                        + "<|im_start|>user\nHi<|im_end|>\n"
                        + "<|im_start|>assistant\nHello!<|im_end|>\n"
                        + "<|im_start|>user\nBye<|im_end|>\n"
                        + "<|im_start|>assistant\n");
        assertThat(t.render(List.of(ChatMessage.system("S"), ChatMessage.user("U")), false)).isEqualTo(
                "<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n");
    }

    @Test
    void mistralFoldsTheSystemMessageAndChecksAlternation() {
        ChatTemplate t = ChatTemplate.of(MISTRAL, Map.of("bos_token", "<s>", "eos_token", "</s>"), "test");
        assertThat(t.render(CONVERSATION, true)).isEqualTo(
                "<s>[INST] Be brief.\n\nWhat is 2+2? [/INST] 4</s>[INST] And 3+3? [/INST]");
        assertThat(t.render(List.of(ChatMessage.user("  x  ")), true)).isEqualTo("<s>[INST] x [/INST]");
        assertThatThrownBy(() -> t.render(List.of(ChatMessage.user("a"), ChatMessage.user("b")), true))
                .isInstanceOf(EvomergeException.class)
                .hasMessageContaining("rejected the messages: Conversation roles must alternate")
                .satisfies(e -> assertThat(((EvomergeException) e).kind()).isEqualTo(EvomergeException.Kind.USAGE));
        assertThatThrownBy(() -> t.render(List.of(ChatMessage.user("a"), new ChatMessage("tool", "b")), true))
                .isInstanceOf(EvomergeException.class)
                .hasMessageContaining("Only user and assistant roles are supported");
    }

    @Test
    void pythonStringMethodsAndFilters() {
        ChatTemplate t = ChatTemplate.of("""
                {{ 'a,b,,c'.split(',') | length }}|{{ '  x y  '.split() | join('+') }}|{{ 'xxhixx'.strip('x') }}\
                |{{ '\\n\\tz '.lstrip() }}|{{ 'hello world'.title() }}|{{ 'aaa'.replace('a', 'b', 2) }}\
                |{% if 'abc'.endswith(('x', 'c')) %}yes{% endif %}|{{ '<think>x</think>answer'.split('</think>')[-1] }}\
                |{{ '-'.join(['p', 'q']) }}|{{ 'AbC'.upper() }}{{ 'AbC'.lower() }}\
                |{{ messages[::-1][0].content }}|{{ messages | length }}""", Map.of(), "test");
        assertThat(t.render(List.of(ChatMessage.user("first"), ChatMessage.user("last")), false))
                .isEqualTo("4|x+y|hi|z |Hello World|bba|yes|answer|p-q|ABCabc|last|2");
    }

    @Test
    void tojsonWritesPythonJson() {
        ChatTemplate t = ChatTemplate.of("{{ messages[0] | tojson }}|{{ {'n': 1, 'f': 0.5, 'ok': true, 'none': none, "
                + "'s': 'é\"'} | tojson }}|{{ [1, 2] | tojson(indent=2) }}", Map.of(), "test");
        assertThat(t.render(List.of(ChatMessage.user("hi\n")), false)).isEqualTo(
                "{\"role\": \"user\", \"content\": \"hi\\n\"}|"
                        + "{\"n\": 1, \"f\": 0.5, \"ok\": true, \"none\": null, \"s\": \"é\\\"\"}|"
                        + "[\n  1,\n  2\n]");
    }

    @Test
    void namespaceLoopAndGenerationTag() {
        ChatTemplate t = ChatTemplate.of("""
                {%- set ns = namespace(last_user=-1) %}
                {%- for m in messages %}{% if m.role == 'user' %}{% set ns.last_user = loop.index0 %}{% endif %}{% endfor %}
                {{- ns.last_user }}:{% for m in messages %}{% if loop.last %}{% generation %}{{ m.content }}{% endgeneration %}{% endif %}{% endfor %}""",
                Map.of(), "test");
        assertThat(t.render(List.of(ChatMessage.user("u"), ChatMessage.assistant("a")), false)).isEqualTo("0:a");
    }

    @Test
    void brokenTemplatesAreUsageErrors() {
        ChatTemplate t = ChatTemplate.of("{% for m in messages %}{{ m.content }", Map.of(), "model/tokenizer_config.json");
        assertThatThrownBy(() -> t.render(List.of(ChatMessage.user("x")), false))
                .isInstanceOf(EvomergeException.class)
                .hasMessageContaining("chat template of model/tokenizer_config.json");
    }

    @Test
    void loadsFromTokenizerConfigListAndFilesInPrecedence(@TempDir Path dir) throws IOException {
        assertThat(ChatTemplate.load(dir)).isEmpty();
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"bos_token": {"content": "<s>", "__type": "AddedToken"}, "eos_token": "</s>",
                 "chat_template": [{"name": "tool_use", "template": "T{{ bos_token }}"},
                                   {"name": "default", "template": "D{{ bos_token }}{{ eos_token }}"}]}
                """);
        assertThat(ChatTemplate.load(dir).orElseThrow().render(List.of(), false)).isEqualTo("D<s></s>");
        assertThat(ChatTemplate.load(dir, "tool_use").orElseThrow().render(List.of(), false)).isEqualTo("T<s>");
        assertThatThrownBy(() -> ChatTemplate.load(dir, "rag"))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("no chat template named 'rag'");

        Files.writeString(dir.resolve("chat_template.json"), "{\"chat_template\": \"J{{ eos_token }}\"}");
        assertThat(ChatTemplate.load(dir).orElseThrow().render(List.of(), false)).isEqualTo("J</s>");
        Files.writeString(dir.resolve("chat_template.jinja"), "K{{ add_generation_prompt }}");
        assertThat(ChatTemplate.load(dir).orElseThrow().render(List.of(), true)).isEqualTo("Ktrue");
    }

    @Test
    void severalTemplatesWithoutDefaultIsAUsageError(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {"chat_template": [{"name": "a", "template": "A"}, {"name": "b", "template": "B"}]}
                """);
        assertThatThrownBy(() -> ChatTemplate.load(dir))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("none is named 'default'");
    }
}
