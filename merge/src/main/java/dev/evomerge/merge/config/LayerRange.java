package dev.evomerge.merge.config;

import dev.evomerge.core.EvomergeException;

/** A half-open layer range {@code [start, end)} of one slice source; {@code [k, k]} is a legal empty range. */
public record LayerRange(int start, int end) {

    public LayerRange {
        if (start < 0 || end < start) {
            throw EvomergeException.usage("layer_range [" + start + ", " + end
                    + "] is invalid: it needs 0 <= start <= end (the end is exclusive).");
        }
    }

    /** Number of layers, {@code end - start}. */
    public int length() {
        return end - start;
    }

    @Override
    public String toString() {
        return "[" + start + ", " + end + "]";
    }
}
