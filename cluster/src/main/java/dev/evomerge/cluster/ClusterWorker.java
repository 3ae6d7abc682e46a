package dev.evomerge.cluster;

import com.hazelcast.config.Config;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;

import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/** A worker member ({@code evomerge worker}): evaluates the candidates the coordinator sends to its free slots. */
public final class ClusterWorker implements AutoCloseable {

    static final String EXECUTOR = "evomerge-eval";
    /** Input checks and refusals run apart from evaluations, so a worker busy with long ones can still be accepted. */
    static final String CONTROL = "evomerge-control";

    private final HazelcastInstance hz;
    private final WorkerRuntime runtime;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile String refusal;

    public ClusterWorker(ClusterOptions options, int slots, PathMap paths, WorkerEvaluatorFactory factory, Consumer<String> log) {
        this(options, slots, paths, factory, log, UnaryOperator.identity());
    }

    /** {@code handler} wraps the worker's guard (tests: a worker that tampers with its results in transit). */
    ClusterWorker(ClusterOptions options, int slots, PathMap paths, WorkerEvaluatorFactory factory, Consumer<String> log,
                  UnaryOperator<TaskHandler> handler) {
        if (slots < 1) {
            throw dev.evomerge.core.EvomergeException.usage("--slots must be at least 1.");
        }
        String name = "worker-" + ProcessHandle.current().pid();
        this.runtime = new WorkerRuntime(factory, paths, slots, name);
        Consumer<String> onRefused = reason -> {
            refusal = reason;
            log.accept("refused by the coordinator: " + reason);
            Thread.ofPlatform().start(this::close);
        };
        WorkerGuard guard = new WorkerGuard(options.secret(), runtime, onRefused, log);
        Config config = options.toConfig("worker", Map.of(ClusterOptions.SLOTS, String.valueOf(slots)),
                Map.of(WorkerGuard.KEY, handler.apply(guard)));
        // Evaluations of a replaced coordinator may still hold every slot while the new one's wait for them.
        config.getExecutorConfig(EXECUTOR).setPoolSize(2 * slots);
        config.getExecutorConfig(CONTROL).setPoolSize(2);
        this.hz = Hazelcast.newHazelcastInstance(config);
        hz.getLifecycleService().addLifecycleListener(e -> {
            if (e.getState() == com.hazelcast.core.LifecycleEvent.LifecycleState.SHUTDOWN) {
                stopped.countDown();
            }
        });
        if (!options.secret().given()) {
            log.accept("no cluster secret given: any process on this machine can join and send tasks (loopback only)");
        }
        log.accept("worker " + name + " joined cluster '" + options.clusterName() + "' at "
                + hz.getCluster().getLocalMember().getAddress() + " with " + slots + " slot(s)");
    }

    /** Blocks until the member leaves the cluster (shut down or refused). */
    public void awaitShutdown() throws InterruptedException {
        stopped.await();
    }

    /** Why the coordinator refused this worker, or null. */
    public String refusal() {
        return refusal;
    }

    @Override
    public void close() {
        runtime.close();
        if (hz.getLifecycleService().isRunning()) {
            hz.shutdown();
        }
        stopped.countDown();
    }
}
