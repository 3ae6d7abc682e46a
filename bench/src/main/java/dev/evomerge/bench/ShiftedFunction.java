package dev.evomerge.bench;

/**
 * Classic minimisation test functions moved onto the unit box: a gene vector x in [0, 1]^N maps to z = scale * (x - o)
 * (Rosenbrock: z = scale * (x - o) + 1, its minimum being at z = 1), so the minimum f = 0 lies at the shifted point o
 * inside the box. Each scale makes the box as wide as the function's usual search domain.
 */
public enum ShiftedFunction {

    /** f = sum z_i^2 with z = x - o (the box is [0, 1] wide: no rescaling). */
    SPHERE(1.0),
    /** f = sum_{i<N-1} 100 (z_{i+1} - z_i^2)^2 + (1 - z_i)^2 with z = 4 (x - o) + 1 (domain width 4, about [-2.048, 2.048]). */
    ROSENBROCK(4.0),
    /** f = 10 N + sum (z_i^2 - 10 cos(2 pi z_i)) with z = 10.24 (x - o) (domain width of [-5.12, 5.12]). */
    RASTRIGIN(10.24),
    /**
     * f = -20 exp(-0.2 sqrt(mean z_i^2)) - exp(mean cos(2 pi z_i)) + 20 + e with z = 65.536 (x - o) (domain width of
     * [-32.768, 32.768]).
     */
    ACKLEY(65.536);

    private final double scale;

    ShiftedFunction(double scale) {
        this.scale = scale;
    }

    /** How many function units one unit of x spans. */
    public double scale() {
        return scale;
    }

    /** Lower-case name for tables. */
    public String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** f(x) for the minimum at {@code optimum}; 0 exactly there, positive elsewhere. */
    public double value(double[] x, double[] optimum) {
        int n = x.length;
        double[] z = new double[n];
        for (int i = 0; i < n; i++) {
            z[i] = scale * (x[i] - optimum[i]);
        }
        return switch (this) {
            case SPHERE -> {
                double s = 0;
                for (double v : z) {
                    s += v * v;
                }
                yield s;
            }
            case ROSENBROCK -> {
                double s = 0;
                for (int i = 0; i + 1 < n; i++) {
                    double a = z[i] + 1;
                    double b = z[i + 1] + 1;
                    s += 100 * (b - a * a) * (b - a * a) + (1 - a) * (1 - a);
                }
                yield s;
            }
            case RASTRIGIN -> {
                double s = 10.0 * n;
                for (double v : z) {
                    s += v * v - 10 * Math.cos(2 * Math.PI * v);
                }
                yield Math.max(0, s); // round-off can leave -1e-15 at the optimum
            }
            case ACKLEY -> {
                double sq = 0;
                double cos = 0;
                for (double v : z) {
                    sq += v * v;
                    cos += Math.cos(2 * Math.PI * v);
                }
                double f = -20 * Math.exp(-0.2 * Math.sqrt(sq / n)) - Math.exp(cos / n) + 20 + Math.E;
                yield Math.max(0, f);
            }
        };
    }
}
