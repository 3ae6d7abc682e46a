package dev.evomerge.evolve.pareto;

import java.util.ArrayList;
import java.util.List;

/**
 * The non-dominated members of every candidate told so far (objectives maximised, see {@link ParetoFront}), for the
 * optimizers that keep no population of their own. One member per distinct objective vector, the earliest: a
 * candidate that is the same point as a member ({@link ParetoFront#samePoint}) does not join, so ties (accuracies on
 * a few dozen questions take few values) do not crowd the front; a failed one never joins.
 */
public final class FrontArchive {

    /** The members as plain arrays, for an optimizer's state. */
    public record State(double[][] genes, double[][] objectives) {
    }

    private final List<FrontMember> members = new ArrayList<>();

    public FrontArchive() {
    }

    public FrontArchive(State state) {
        if (state != null) {
            for (int i = 0; i < state.genes().length; i++) {
                members.add(new FrontMember(state.genes()[i].clone(), state.objectives()[i].clone()));
            }
        }
    }

    /**
     * Adds each candidate that no member dominates or equals, and drops the members it dominates; returns how many
     * joined.
     */
    public int addAll(List<double[]> genes, double[][] objectives) {
        int joined = 0;
        for (int k = 0; k < genes.size(); k++) {
            double[] v = objectives[k];
            if (ParetoFront.isFailed(v) || members.stream().anyMatch(m -> ParetoFront.dominates(m.objectives(), v)
                    || ParetoFront.samePoint(m.objectives(), v))) {
                continue;
            }
            members.removeIf(m -> ParetoFront.dominates(v, m.objectives()));
            members.add(new FrontMember(genes.get(k).clone(), v.clone()));
            joined++;
        }
        return joined;
    }

    /** Copies of the members, in the order they joined. */
    public List<FrontMember> members() {
        return members.stream().map(m -> new FrontMember(m.genes().clone(), m.objectives().clone())).toList();
    }

    public State state() {
        return new State(members.stream().map(m -> m.genes().clone()).toArray(double[][]::new),
                members.stream().map(m -> m.objectives().clone()).toArray(double[][]::new));
    }
}
