package dev.evomerge.evolve.local;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.evomerge.core.EvomergeException;

import java.util.Arrays;

/** What scores a merged candidate ({@code --backend}); {@link #text()} is its option value. */
public enum EvaluationBackend {
    /** evomerge's own engine, in this process. */
    EMBEDDED("embedded"),
    /** An OpenAI-compatible completions server started per candidate ({@code --eval-server-cmd}). */
    OPENAI_COMPLETIONS("openai-completions");

    /** The default backend's option value. */
    public static final String DEFAULT = "embedded";

    private final String text;

    EvaluationBackend(String text) {
        this.text = text;
    }

    /** The option value, as given on the command line, stored in run.db and sent to cluster workers. */
    @JsonValue
    public String text() {
        return text;
    }

    @Override
    public String toString() {
        return text;
    }

    /** The backend an option value names (exactly as written), else a usage error naming the two values. */
    @JsonCreator
    public static EvaluationBackend parse(String value) {
        return Arrays.stream(values()).filter(b -> b.text.equals(value)).findFirst().orElseThrow(() ->
                EvomergeException.usage("--backend must be embedded or openai-completions, got '" + value + "'."));
    }
}
