package dev.evomerge.engine;

import java.util.Arrays;

/** Token ids as a map key: equal when the ids are (an array alone compares by identity). Not copied. */
public record TokenKey(int[] ids) {

    @Override
    public boolean equals(Object o) {
        return o instanceof TokenKey k && Arrays.equals(ids, k.ids);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ids);
    }
}
