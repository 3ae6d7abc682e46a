package dev.evomerge.cluster;

import dev.evomerge.evolve.run.MetricKey;
import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.Evaluation;

import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A worker process for the cluster tests: a real Hazelcast member in its own JVM whose evaluator scores genes by a
 * fixed quadratic (what the run's tasks would measure), taking a little time so a test can kill it mid-generation.
 * Arguments: clusterName members port slots [pathMap]. The cluster secret comes from EVOMERGE_CLUSTER_SECRET, as for
 * {@code evomerge worker}. With {@code -Devomerge.test.tamper=true} the worker stands for a result altered in transit:
 * each evaluation's body gets a better score while its HMAC stays as the worker signed it.
 */
public final class TestWorkerMain {

    static final double[] TARGET = {0.3, 0.7, 0.6, 0.2};

    static Map<MetricKey, Double> metrics(double[] genes) {
        double d = 0;
        for (int i = 0; i < TARGET.length; i++) {
            d += (genes[i] - TARGET[i]) * (genes[i] - TARGET[i]);
        }
        return Map.of(new MetricKey("a", "acc,none"), 1 - d);
    }

    /** The quadratic evaluator; {@code delayMillis} stands for merge and evaluation time. */
    static CandidateEvaluator evaluator(long delayMillis, String name) {
        return (candidates, done) -> {
            for (var c : candidates) {
                try {
                    Thread.sleep(delayMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                done.accept(new Evaluation(c, Double.NaN, metrics(c.genes()), null, 0, delayMillis / 1000.0, name));
            }
        };
    }

    public static void main(String[] args) throws Exception {
        ClusterOptions opts = new ClusterOptions(args[0], List.of(args[1].split(",")), "127.0.0.1", Integer.parseInt(args[2]), false,
                ClusterSecret.resolve(null, System.getenv()));
        int slots = Integer.parseInt(args[3]);
        PathMap paths = args.length > 4 ? PathMap.parse(List.of(args[4])) : PathMap.none();
        long delay = Long.parseLong(System.getProperty("evomerge.test.delay", "150"));
        UnaryOperator<TaskHandler> handler = Boolean.getBoolean("evomerge.test.tamper") ? TestWorkerMain::tampering : UnaryOperator.identity();
        try (ClusterWorker w = new ClusterWorker(opts, slots, paths, (spec, p) -> evaluator(delay, "worker"),
                System.out::println, handler)) {
            System.out.println("READY");
            w.awaitShutdown();
            System.exit(w.refusal() == null ? 0 : 3);
        }
    }

    /** Passes every reply on, but an evaluation's with its score raised after signing (a wrong HMAC, valid format). */
    static TaskHandler tampering(TaskHandler guard) {
        return (task, hz) -> {
            SignedReply r = guard.handle(task, hz);
            if (!SignedReply.Kind.EVALUATION.name().equals(r.kind)) {
                return r;
            }
            try {
                Wire.In in = new Wire.In(r.body);
                Evaluation e = in.evaluation();
                Evaluation forged = new Evaluation(e.candidate(), e.score(), Map.of(new MetricKey("a", "acc,none"), 1.0), e.error(),
                        e.mergeSeconds(), e.evalSeconds(), e.worker());
                System.out.println("TAMPERED candidate " + e.candidate().index() + " of generation " + e.candidate().generation());
                return new SignedReply(r.kind, r.runId, r.seq, new Wire.Out().evaluation(forged).toBytes(), r.mac);
            } catch (java.io.IOException ex) {
                throw new IllegalStateException(ex);
            }
        };
    }

    private TestWorkerMain() {
    }
}
