package dev.evomerge.eval.prompt;

import java.util.List;

/**
 * The context(s) of one document: usually one; several when doc_to_text is an index into the choices (each choice
 * completes the context and the target is the shared continuation).
 */
public record Prompt(List<String> contexts, boolean multipleInput) {

    public Prompt {
        contexts = List.copyOf(contexts);
    }

    /** The single context of an ordinary prompt. */
    public String context() {
        return contexts.getFirst();
    }
}
