package dev.evomerge.cluster;

import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.Evaluation;

import java.util.List;
import java.util.Map;

/**
 * A worker process for the cluster tests: a real Hazelcast member in its own JVM whose evaluator scores genes by a
 * fixed quadratic (what the run's tasks would measure), taking a little time so a test can kill it mid-generation.
 * Arguments: clusterName members port slots [pathMap]
 */
public final class TestWorkerMain {

    static final double[] TARGET = {0.3, 0.7, 0.6, 0.2};

    static Map<String, Double> metrics(double[] genes) {
        double d = 0;
        for (int i = 0; i < TARGET.length; i++) {
            d += (genes[i] - TARGET[i]) * (genes[i] - TARGET[i]);
        }
        return Map.of("a/acc,none", 1 - d);
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
        ClusterOptions opts = new ClusterOptions(args[0], List.of(args[1].split(",")), "127.0.0.1", Integer.parseInt(args[2]), false);
        int slots = Integer.parseInt(args[3]);
        PathMap paths = args.length > 4 ? PathMap.parse(List.of(args[4])) : PathMap.none();
        long delay = Long.parseLong(System.getProperty("evomerge.test.delay", "150"));
        try (ClusterWorker w = new ClusterWorker(opts, slots, paths, (spec, p) -> evaluator(delay, "worker"), System.out::println)) {
            System.out.println("READY");
            w.awaitShutdown();
            System.exit(w.refusal() == null ? 0 : 3);
        }
    }

    private TestWorkerMain() {
    }
}
