package dev.evomerge.evolve.optimizer;

/** Population-size rules shared by the optimizers. */
public final class Population {

    private Population() {
    }

    /**
     * LLM-Evo-Merge's default population, 4 + round(3 ln n) with Python's round-half-to-even
     * (CMA-ES's formula uses floor; the two differ at some n, and evomerge keeps the rounding).
     */
    public static int defaultSize(int dimension) {
        if (dimension < 1) {
            throw new IllegalArgumentException("dimension must be positive: " + dimension);
        }
        return 4 + (int) Math.rint(3 * Math.log(dimension));
    }
}
