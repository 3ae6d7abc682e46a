package dev.evomerge.evolve.run;

/** Candidates for store and statistics tests: a real, readable one-model config whose text names the candidate. */
public final class TestCandidates {

    private TestCandidates() {
    }

    /** The YAML of a one-model task-arithmetic merge, with a comment line so that each candidate's text is its own. */
    public static String yaml(int generation, int index) {
        return "merge_method: task_arithmetic\nbase_model: base\nmodels:\n  - model: a\n    parameters:\n      weight: 1.0\n# candidate "
                + generation + "/" + index + "\n";
    }

    public static Candidate of(int generation, int index, double... genes) {
        return Candidate.fromYaml(generation, index, genes, yaml(generation, index), "test candidate");
    }
}
