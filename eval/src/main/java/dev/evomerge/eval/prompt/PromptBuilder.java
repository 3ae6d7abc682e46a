package dev.evomerge.eval.prompt;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.engine.chat.ChatMessage;
import dev.evomerge.eval.model.LanguageModel;
import dev.evomerge.eval.python.PythonValues;
import dev.evomerge.eval.task.TaskConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Assembles a document's context as lm-eval does: the description, then each few-shot example as text +
 * target_delimiter + target + fewshot_delimiter, then the document's text (plus target_delimiter + gen_prefix when
 * the task has one). With a chat template the description becomes the system turn and the rest one user turn.
 */
public final class PromptBuilder {

    private final DocFields fields;
    private final int numFewshot;
    private final FewshotSampler sampler;
    private final Optional<LanguageModel> chat;

    /**
     * @param sampler few-shot source; may be null when numFewshot is 0
     * @param chat    the model whose chat template renders the turns, when --apply-chat-template is on
     */
    public PromptBuilder(DocFields fields, int numFewshot, FewshotSampler sampler, Optional<LanguageModel> chat) {
        if (numFewshot > 0 && sampler == null) {
            throw new IllegalArgumentException("few-shot prompts need a sampler");
        }
        this.fields = fields;
        this.numFewshot = numFewshot;
        this.sampler = sampler;
        this.chat = chat;
    }

    /** Whether the final request drops target_delimiter (lm-eval does so under a chat template). */
    public boolean chatTemplate() {
        return chat.isPresent();
    }

    /** The context(s) for document {@code index}. */
    public Prompt build(Map<String, Object> doc, int index) {
        TaskConfig task = fields.task();
        String description = fields.description(doc, index);
        String genPrefix = fields.genPrefix(doc, index);
        String fewshot = numFewshot > 0 ? fewshotContext(doc, genPrefix) : "";
        Object example = fields.text(doc, index);
        if (chat.isPresent()) {
            return chatPrompt(description, fewshot, example, doc, index, genPrefix);
        }
        String labeled = description + fewshot;
        if (example instanceof Long choiceIndex) {
            // doc_to_text picks a choice: each choice completes the context (winogrande style).
            List<String> contexts = new ArrayList<>();
            for (String choice : fields.choices(doc, index)) {
                contexts.add(labeled + choice);
            }
            return new Prompt(contexts, true);
        }
        String prefix = genPrefix != null ? task.targetDelimiter() + genPrefix : "";
        return new Prompt(List.of(labeled + example + prefix), false);
    }

    private Prompt chatPrompt(String description, String fewshot, Object example, Map<String, Object> doc, int index,
                              String genPrefix) {
        if (!(example instanceof String text)) {
            throw EvomergeException.usage("task " + fields.task().name()
                    + ": --apply-chat-template is not supported for tasks whose doc_to_text selects a choice");
        }
        List<ChatMessage> messages = new ArrayList<>();
        if (!description.isEmpty()) {
            messages.add(ChatMessage.system(description));
        }
        String user = fewshot + text;
        messages.add(ChatMessage.user(user));
        LanguageModel model = chat.orElseThrow();
        if (genPrefix == null) {
            return new Prompt(List.of(model.applyChatTemplate(messages, true)), false);
        }
        // transformers' continue_final_message: render the assistant turn and cut right after its text.
        messages.add(ChatMessage.assistant(genPrefix));
        String rendered = model.applyChatTemplate(messages, false);
        int at = rendered.lastIndexOf(genPrefix);
        if (at < 0) {
            throw EvomergeException.usage("task " + fields.task().name() + ": the chat template dropped gen_prefix "
                    + PythonValues.stringRepr(genPrefix) + " from the assistant turn");
        }
        return new Prompt(List.of(rendered.substring(0, at + genPrefix.length())), false);
    }

    /** lm-eval's ContextSampler.get_context: the labelled few-shot examples, each followed by fewshot_delimiter. */
    private String fewshotContext(Map<String, Object> doc, String genPrefix) {
        TaskConfig task = fields.task();
        Map<String, Object> overrides = task.fewshotOverrides();
        Object textSpec = overrides.getOrDefault("doc_to_text", task.docToText());
        Object targetSpec = overrides.getOrDefault("doc_to_target", task.docToTarget());
        Object choiceSpec = overrides.getOrDefault("doc_to_choice", task.docToChoice());
        String prefix = genPrefix != null && !genPrefix.isEmpty() ? genPrefix + " " : "";
        StringBuilder out = new StringBuilder();
        for (Map<String, Object> shot : sampler.sample(doc, numFewshot)) {
            Object content = fields.text(shot, -1, textSpec);
            Object target = fields.target(shot, -1, targetSpec);
            if (content instanceof String s) {
                out.append(s);
            } else if (content instanceof Long i) {
                out.append(choiceAt(fields.choices(shot, -1, choiceSpec), i));
            }
            if (!"".equals(target)) {
                out.append(task.targetDelimiter()).append(prefix);
                if (target instanceof List<?> list) {
                    out.append(PythonValues.str(list.getFirst()));
                } else if (choiceSpec == null || target instanceof String) {
                    out.append(PythonValues.str(target));
                } else {
                    out.append(choiceAt(fields.choices(shot, -1, choiceSpec), ((Number) target).longValue()));
                }
                out.append(task.fewshotDelimiter());
            }
        }
        return out.toString();
    }

    private String choiceAt(List<String> choices, long i) {
        if (i < 0 || i >= choices.size()) {
            throw EvomergeException.usage("task " + fields.task().name() + ": a few-shot example's answer index " + i
                    + " is outside its " + choices.size() + " choices");
        }
        return choices.get((int) i);
    }
}
