package dev.evomerge.evolve.dataflow;

import dev.evomerge.core.EvomergeException;

/**
 * What an evolution searches ({@code --space}): merge parameters (ps, the default), the path tokens take through the
 * source models' layers (dfs), or first the parameters and then a path through the best merge and the sources
 * (ps+dfs).
 */
public enum SearchSpace {
    PS("ps"), DFS("dfs"), PS_DFS("ps+dfs");

    private final String text;

    SearchSpace(String text) {
        this.text = text;
    }

    public String text() {
        return text;
    }

    /** Whether a data-flow search runs (alone or after the parameter search). */
    public boolean dataFlow() {
        return this != PS;
    }

    public static SearchSpace parse(String s) {
        for (SearchSpace v : values()) {
            if (v.text.equals(s)) {
                return v;
            }
        }
        throw EvomergeException.usage("--space must be ps, dfs or ps+dfs, got '" + s + "'.");
    }

    @Override
    public String toString() {
        return text;
    }
}
