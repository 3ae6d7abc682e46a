package dev.evomerge.bench;

import dev.evomerge.evolve.optimizer.Optimizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ShiftedFunctionTest {

    static final double[] O = {0.5, 0.25};

    @ParameterizedTest
    @EnumSource(ShiftedFunction.class)
    void theMinimumZeroIsAtTheShiftedOptimumAndNowhereNearby(ShiftedFunction fn) {
        ShiftedProblem p = ShiftedProblem.draw(fn, 8, 3);
        double[] o = p.optimum();
        for (double v : o) {
            assertThat(v).isBetween(ShiftedProblem.LOW, ShiftedProblem.HIGH);
        }
        assertThat(p.f(o)).isCloseTo(0.0, within(1e-12));
        assertThat(p.score(o)).isCloseTo(1.0, within(1e-12));
        SplittableRandom rng = new SplittableRandom(9);
        for (int k = 0; k < 200; k++) {
            double[] x = new double[8];
            for (int i = 0; i < 8; i++) {
                x[i] = rng.nextDouble();
            }
            assertThat(p.f(x)).isPositive();
        }
    }

    @Test
    void valuesAtHandPickedPoints() {
        // z = x - o = (0.25, 0): 0.25^2
        assertThat(ShiftedFunction.SPHERE.value(new double[] {0.75, 0.25}, O)).isCloseTo(0.0625, within(1e-15));
        // z = 4 (x - o) + 1 = (0, 1): 100 (1 - 0^2)^2 + (1 - 0)^2
        assertThat(ShiftedFunction.ROSENBROCK.value(new double[] {0.25, 0.25}, O)).isCloseTo(101.0, within(1e-12));
        // z = (1, 0.5): 20 + (1 - 10 cos 2pi) + (0.25 - 10 cos pi) = 21.25
        assertThat(ShiftedFunction.RASTRIGIN.value(new double[] {0.5 + 1 / 10.24, 0.25 + 0.5 / 10.24}, O))
                .isCloseTo(21.25, within(1e-9));
        // z = (1, 1): -20 e^-0.2 - e^(cos 2pi) + 20 + e = 20 (1 - e^-0.2) = 3.6253849384...
        assertThat(ShiftedFunction.ACKLEY.value(new double[] {0.5 + 1 / 65.536, 0.25 + 1 / 65.536}, O))
                .isCloseTo(3.625384938440363, within(1e-9));
    }

    @Test
    void theTargetIsFAtMostOneNineteenth() {
        assertThat(ShiftedProblem.reached(1 / (1 + 1.0 / 19))).isTrue();
        assertThat(ShiftedProblem.reached(1 / (1 + 0.0527))).isFalse();
    }

    @Test
    void aRunCountsEvaluationsOneByOneAndStopsAtTheFirstHit() {
        ShiftedProblem p = new ShiftedProblem(ShiftedFunction.SPHERE, O);
        // generation 0: two misses; generation 1: a miss, then the optimum itself (evaluation 4)
        List<List<double[]>> gens = List.of(
                List.of(new double[] {0, 0}, new double[] {1, 1}),
                List.of(new double[] {0.9, 0.9}, O.clone(), new double[] {0, 0}));
        OptimizerBench.Run r = OptimizerBench.run(scripted(gens), p, 100);
        assertThat(r.evaluationsToTarget()).isEqualTo(4);
        assertThat(r.bestF()).isZero();
        // a budget of 3 ends before the hit: not reached; f = 0.3125, 0.8125, 0.5825, so best f = 0.5^2 + 0.25^2
        OptimizerBench.Run miss = OptimizerBench.run(scripted(gens), p, 3);
        assertThat(miss.reached()).isFalse();
        assertThat(miss.evaluations()).isEqualTo(3);
        assertThat(miss.bestF()).isCloseTo(0.5 * 0.5 + 0.25 * 0.25, within(1e-12));
    }

    @Test
    void theMedianRanksUnreachedRunsLast() {
        OptimizerBench.Run hit = new OptimizerBench.Run(10, 10, 0);
        OptimizerBench.Run hit2 = new OptimizerBench.Run(30, 30, 0);
        OptimizerBench.Run miss = new OptimizerBench.Run(0, 99, 1);
        var two = new OptimizerBench.Cell("x", ShiftedFunction.SPHERE, 2, List.of(miss, hit2, hit, miss, hit));
        assertThat(two.median()).hasValue(30);
        assertThat(two.hits()).isEqualTo(3);
        var none = new OptimizerBench.Cell("x", ShiftedFunction.SPHERE, 2, List.of(miss, hit, miss, miss, hit2));
        assertThat(none.median()).isEmpty();
    }

    private static Optimizer scripted(List<List<double[]>> gens) {
        return new Optimizer() {
            int g;

            @Override
            public String name() {
                return "scripted";
            }

            @Override
            public int dimension() {
                return 2;
            }

            @Override
            public List<double[]> ask() {
                return gens.get(g);
            }

            @Override
            public void tell(List<double[]> candidates, double[] fitness) {
                g++;
            }

            @Override
            public Record state() {
                return null;
            }
        };
    }
}
