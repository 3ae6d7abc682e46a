package dev.evomerge.cluster;

import dev.evomerge.evolve.run.MetricKey;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.merge.config.InputModel;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.ModelReference;
import dev.evomerge.merge.config.ParameterSetting;
import dev.evomerge.merge.config.Parameters;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/** A worker's slots across runs: a new run (a restarted coordinator) waits for the old run's evaluations to end. */
class WorkerRuntimeTest {

    static final MetricKey T_ACC = new MetricKey("t", "acc");

    /** Counts the evaluators alive; those of run "a" block until {@code release} opens. */
    static final class Evaluators implements WorkerEvaluatorFactory {
        final AtomicInteger created = new AtomicInteger();
        final AtomicInteger closed = new AtomicInteger();
        final AtomicInteger open = new AtomicInteger();
        final AtomicInteger maxOpen = new AtomicInteger();
        final CountDownLatch startedA = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final List<String> runsCreated = new ArrayList<>();

        @Override
        public synchronized CandidateEvaluator create(RunSpec spec, PathMap paths) {
            created.incrementAndGet();
            runsCreated.add(spec.runId());
            maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
            return new CandidateEvaluator() {
                @Override
                public void evaluate(List<Candidate> candidates, java.util.function.Consumer<Evaluation> done) {
                    if (spec.runId().equals("a")) {
                        startedA.countDown();
                        try {
                            assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
                        } catch (InterruptedException e) {
                            throw new IllegalStateException(e);
                        }
                    }
                    Candidate c = candidates.getFirst();
                    done.accept(new Evaluation(c, Double.NaN, Map.of(T_ACC, c.genes()[0]), null, 0.25, 0.5, "local"));
                }

                @Override
                public void close() {
                    closed.incrementAndGet();
                    open.decrementAndGet();
                }
            };
        }
    }

    static RunSpec run(String id) {
        return new RunSpec(id, Map.of(), List.of());
    }

    static Candidate candidate(int i) {
        return new Candidate(0, i, new double[] {i / 10.0}, linear());
    }

    /** A one-model linear merge config: what the candidates of these tests carry (no worker here merges it). */
    static MergeConfig linear() {
        return MergeConfig.ofModels("linear", List.of(new InputModel(ModelReference.of("m"),
                Parameters.of(Map.of("weight", ParameterSetting.Scalar.of(1.0))))), null, null, null);
    }

    @Test
    void aNewRunWaitsForTheSlotOfAnAbandonedEvaluationAndNeverHoldsMoreEvaluatorsThanSlots() throws Exception {
        Evaluators f = new Evaluators();
        WorkerRuntime rt = new WorkerRuntime(f, PathMap.none(), 1, "worker-test");
        AtomicReference<Evaluation> a = new AtomicReference<>();
        AtomicReference<Evaluation> b = new AtomicReference<>();
        Thread ta = Thread.ofPlatform().start(() -> a.set(evaluate(rt, run("a"), candidate(1))));
        assertThat(f.startedA.await(30, TimeUnit.SECONDS)).isTrue();
        Thread tb = Thread.ofPlatform().start(() -> b.set(evaluate(rt, run("b"), candidate(2))));
        // Run b's task parks on the worker's only slot while run a's evaluation goes on.
        while (tb.getState() != Thread.State.WAITING) {
            assertThat(tb.isAlive()).isTrue();
            Thread.onSpinWait();
        }
        assertThat(f.created).hasValue(1);
        assertThat(b.get()).isNull();

        f.release.countDown();
        ta.join();
        tb.join();
        assertThat(a.get().metrics()).isEqualTo(Map.of(T_ACC, 0.1));
        assertThat(b.get().metrics()).isEqualTo(Map.of(T_ACC, 0.2));
        assertThat(b.get().worker()).isEqualTo("worker-test");
        assertThat(b.get().mergeSeconds()).isEqualTo(0.25);
        assertThat(b.get().evalSeconds()).isEqualTo(0.5);
        // Run a's evaluator was closed when its evaluation ended; run b built its own, one at a time.
        assertThat(f.runsCreated).containsExactly("a", "b");
        assertThat(f.maxOpen).hasValue(1);
        assertThat(f.closed).hasValue(1);

        // The next candidate of run b reuses its evaluator; closing the worker closes it.
        assertThat(evaluate(rt, run("b"), candidate(3)).metrics()).isEqualTo(Map.of(T_ACC, 0.3));
        assertThat(f.created).hasValue(2);
        rt.close();
        assertThat(f.closed).hasValue(2);
        assertThat(f.open).hasValue(0);
    }

    @Test
    void slotsOfOneRunShareEvaluatorsUpToTheSlotCount() throws Exception {
        Evaluators f = new Evaluators();
        WorkerRuntime rt = new WorkerRuntime(f, PathMap.none(), 2, "worker-test");
        for (int i = 0; i < 5; i++) {
            assertThat(evaluate(rt, run("b"), candidate(i)).metrics()).isEqualTo(Map.of(T_ACC, i / 10.0));
        }
        assertThat(f.created).as("sequential candidates reuse one evaluator").hasValue(1);
        rt.close();
        assertThat(f.open).hasValue(0);
    }

    private static Evaluation evaluate(WorkerRuntime rt, RunSpec spec, Candidate c) {
        try {
            return rt.evaluate(spec, c);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }
}
