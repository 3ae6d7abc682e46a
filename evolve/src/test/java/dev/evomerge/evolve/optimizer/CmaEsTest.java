package dev.evomerge.evolve.optimizer;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.function.ToDoubleFunction;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class CmaEsTest {

    /** Optimum at 0.3 + 0.4 i/(n-1): inside [0, 1], away from corners and edges. */
    static double[] shiftedOptimum(int n) {
        double[] o = new double[n];
        for (int i = 0; i < n; i++) {
            o[i] = n == 1 ? 0.4 : 0.3 + 0.4 * i / (n - 1);
        }
        return o;
    }

    static double sphere(double[] x, double[] o) {
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += (x[i] - o[i]) * (x[i] - o[i]);
        }
        return s;
    }

    /** Rosenbrock in u = 4(x - o) + 1, so its minimum (u = 1) sits at x = o. */
    static double rosenbrock(double[] x, double[] o) {
        double s = 0;
        for (int i = 0; i + 1 < x.length; i++) {
            double a = 4 * (x[i] - o[i]) + 1;
            double b = 4 * (x[i + 1] - o[i + 1]) + 1;
            s += 100 * (b - a * a) * (b - a * a) + (1 - a) * (1 - a);
        }
        return s;
    }

    /** Runs to a budget and returns the best objective value (minimised) found. */
    static double run(Optimizer opt, ToDoubleFunction<double[]> loss, int generations) {
        double best = Double.POSITIVE_INFINITY;
        for (int g = 0; g < generations; g++) {
            List<double[]> xs = opt.ask();
            double[] f = new double[xs.size()];
            for (int k = 0; k < xs.size(); k++) {
                double l = loss.applyAsDouble(xs.get(k));
                best = Math.min(best, l);
                f[k] = -l;
            }
            opt.tell(xs, f);
        }
        return best;
    }

    @ParameterizedTest
    @ValueSource(ints = {2, 8, 16})
    void convergesOnTheShiftedSphere(int n) {
        double[] o = shiftedOptimum(n);
        double[] x0 = new double[n];
        java.util.Arrays.fill(x0, 0.5);
        CmaEs es = CmaEs.start(x0, 1.0 / 6, Population.defaultSize(n), 42);
        double best = run(es, x -> sphere(x, o), 60 + 25 * n);
        assertThat(best).isLessThan(1e-10);
        for (int i = 0; i < n; i++) {
            assertThat(es.mean()[i]).isCloseTo(o[i], within(1e-4));
        }
    }

    @Test
    void convergesOnTheShiftedRosenbrock() {
        int n = 6;
        double[] o = shiftedOptimum(n);
        double[] x0 = new double[n];
        java.util.Arrays.fill(x0, 0.5);
        CmaEs es = CmaEs.start(x0, 1.0 / 6, Population.defaultSize(n), 7);
        double best = run(es, x -> rosenbrock(x, o), 600);
        assertThat(best).isLessThan(1e-8);
    }

    @Test
    void samplesStayInsideTheUnitBoxEvenWithAHugeStep() {
        CmaEs es = CmaEs.start(new double[] {0.05, 0.95, 0.5}, 3.0, 10, 1);
        for (double[] x : es.ask()) {
            for (double v : x) {
                assertThat(v).isBetween(0.0, 1.0);
            }
        }
    }

    @Test
    void resumingFromStateReproducesTheUninterruptedRun() {
        int n = 5;
        double[] o = shiftedOptimum(n);
        double[] x0 = {0.5, 0.5, 0.5, 0.5, 0.5};
        CmaEs a = CmaEs.start(x0, 1.0 / 6, 9, 99);
        run(a, x -> sphere(x, o), 10);
        CmaEs b = new CmaEs(a.state());
        List<double[]> fromA = a.ask();
        List<double[]> fromB = b.ask();
        for (int k = 0; k < fromA.size(); k++) {
            assertThat(fromB.get(k)).containsExactly(fromA.get(k));
        }
    }

    @Test
    void failedCandidatesRankLast() {
        CmaEs es = CmaEs.start(new double[] {0.5, 0.5}, 0.1, 6, 3);
        List<double[]> xs = es.ask();
        double[] f = new double[xs.size()];
        for (int k = 0; k < f.length; k++) {
            f[k] = k == 0 ? 10.0 : Double.NEGATIVE_INFINITY;
        }
        f[1] = Double.NaN;
        es.tell(xs, f);
        // The best candidate carries the largest weight, so the mean moves toward it.
        double[] m = es.mean();
        double before = Math.hypot(0.5 - xs.get(0)[0], 0.5 - xs.get(0)[1]);
        double after = Math.hypot(m[0] - xs.get(0)[0], m[1] - xs.get(0)[1]);
        assertThat(after).isLessThan(before);
    }

    @Test
    void defaultPopulationFollowsTheSeedsRounding() {
        // 4 + round(3 ln n) with Python's round-half-to-even, as LLM-Evo-Merge sizes its populations.
        int[][] table = {{1, 4}, {2, 6}, {4, 8}, {8, 10}, {16, 12}, {32, 14}, {64, 16}, {96, 18}, {128, 19}, {256, 21}};
        for (int[] row : table) {
            assertThat(Population.defaultSize(row[0])).as("n=%d", row[0]).isEqualTo(row[1]);
        }
    }

    @Test
    void randomSearchIsUniformAndSeeded() {
        RandomSearch a = new RandomSearch(4, 1000, 5);
        RandomSearch b = new RandomSearch(4, 1000, 5);
        List<double[]> xa = a.ask();
        List<double[]> xb = b.ask();
        double sum = 0;
        for (int k = 0; k < xa.size(); k++) {
            assertThat(xb.get(k)).containsExactly(xa.get(k));
            for (double v : xa.get(k)) {
                assertThat(v).isBetween(0.0, 1.0);
                sum += v;
            }
        }
        assertThat(sum / 4000).isCloseTo(0.5, within(0.02));
        a.tell(xa, new double[xa.size()]);
        assertThat(a.ask().get(0)).isNotEqualTo(xa.get(0));
    }
}
