package dev.evomerge.core.io;

import java.util.function.Consumer;

/** Closing several resources at once. */
public final class Resources {

    private Resources() {
    }

    /**
     * Closes every resource in order with {@code close}, also after one of them failed; then rethrows the first
     * failure, with the later ones added to it as suppressed.
     */
    public static <T> void closeAll(Iterable<T> resources, Consumer<? super T> close) {
        RuntimeException first = null;
        for (T r : resources) {
            try {
                close.accept(r);
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
