package dev.evomerge.core.io;

import java.util.Iterator;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * Warnings for the keys of a YAML or JSON mapping that its reader does not know, one sentence per key:
 * {@code WHERE: unknown key 'KEY.PATH' is ignored} followed by the reader's {@code ending} (for example
 * {@code "."}), where the key path runs from the document's root ({@code models[0].weight}).
 */
public record UnknownKeys(String ending, Consumer<String> warnings) {

    public UnknownKeys {
        Objects.requireNonNull(ending, "ending");
        Objects.requireNonNull(warnings, "warnings");
    }

    /**
     * Warns once for each of {@code keys} that {@code known} refuses.
     *
     * @param prefix the mapping's own path followed by a dot ({@code "genome."}); empty at the root
     */
    public void check(String where, String prefix, Iterator<String> keys, Predicate<String> known) {
        while (keys.hasNext()) {
            String key = keys.next();
            if (!known.test(key)) {
                warn(where, prefix + key);
            }
        }
    }

    /** Warns that the key at {@code keyPath} is ignored. */
    public void warn(String where, String keyPath) {
        warnings.accept(where + ": unknown key '" + keyPath + "' is ignored" + ending);
    }
}
