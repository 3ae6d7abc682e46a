package dev.evomerge.merge.config;

import dev.evomerge.core.EvomergeException;

import java.util.List;
import java.util.Map;

/**
 * The {@code chat_template} key: {@code auto} (the most common template among the input models), one of the
 * built-in names, or a literal Jinja template (at least 20 characters and containing '{', as mergekit requires).
 */
public final class ChatTemplates {

    /** The value that picks the most common template among the inputs. */
    public static final String AUTO = "auto";

    private static final Map<String, String> BUILT_IN = Map.of(
            "chatml", "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content']"
                    + " + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}"
                    + "{{ '<|im_start|>assistant\\n' }}{% endif %}",
            "llama3", "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role']"
                    + " + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}"
                    + "{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}"
                    + "{% endif %}",
            "mistral", "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'user' %}"
                    + "{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}"
                    + "{{ message['content'] + eos_token }}{% elif message['role'] == 'system' %}"
                    + "{{ message['content'] + '\\n\\n' }}{% endif %}{% endfor %}",
            "alpaca", "{% for message in messages %}{% if message['role'] == 'system' %}"
                    + "{{ message['content'] + '\\n\\n' }}{% elif message['role'] == 'user' %}"
                    + "{{ '### Instruction:\\n' + message['content'] + '\\n\\n' }}"
                    + "{% elif message['role'] == 'assistant' %}{{ '### Response:\\n' + message['content'] + eos_token"
                    + " + '\\n\\n' }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '### Response:\\n' }}"
                    + "{% endif %}",
            "exaone", "{% for message in messages %}{% if message['role'] == 'system' %}"
                    + "{{ '[|system|]' + message['content'] + '[|endofturn|]\\n' }}{% elif message['role'] == 'user' %}"
                    + "{{ '[|user|]' + message['content'] + '\\n' }}{% elif message['role'] == 'assistant' %}"
                    + "{{ '[|assistant|]' + message['content'] + '[|endofturn|]\\n' }}{% endif %}{% endfor %}"
                    + "{% if add_generation_prompt %}{{ '[|assistant|]' }}{% endif %}");

    private ChatTemplates() {
    }

    /** The built-in template names. */
    public static List<String> names() {
        return List.of("alpaca", "chatml", "exaone", "llama3", "mistral");
    }

    /** The Jinja text of a built-in template, or null if {@code name} is not one. */
    public static String builtIn(String name) {
        return BUILT_IN.get(name);
    }

    /** Checks a {@code chat_template} value and returns it unchanged; {@code file} names the config in messages. */
    public static String validate(String value, String file) {
        if (value.equals(AUTO) || BUILT_IN.containsKey(value)) {
            return value;
        }
        if (value.length() < 20 || !value.contains("{")) {
            throw EvomergeException.usage(file + ": chat_template '" + value + "' is neither 'auto', a built-in name ("
                    + String.join(", ", names()) + ") nor a Jinja template (20+ characters containing '{').");
        }
        return value;
    }
}
