package dev.evomerge.cluster;

import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceAware;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.Evaluation;

import java.io.Serial;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** The callables the coordinator sends to workers. */
final class ClusterTasks {

    private ClusterTasks() {
    }

    static WorkerRuntime runtime(HazelcastInstance hz) {
        Object r = hz.getUserContext().get(WorkerRuntime.KEY);
        if (!(r instanceof WorkerRuntime w)) {
            throw new IllegalStateException("member " + hz.getCluster().getLocalMember() + " is not an evomerge worker");
        }
        return w;
    }

    /** Evaluates one candidate on the worker. */
    static final class Evaluate implements Callable<Evaluation>, Serializable, HazelcastInstanceAware {
        @Serial
        private static final long serialVersionUID = 1L;
        private final RunSpec spec;
        private final Candidate candidate;
        private transient HazelcastInstance hz;

        Evaluate(RunSpec spec, Candidate candidate) {
            this.spec = spec;
            this.candidate = candidate;
        }

        @Override
        public void setHazelcastInstance(HazelcastInstance hz) {
            this.hz = hz;
        }

        @Override
        public Evaluation call() throws Exception {
            return runtime(hz).evaluate(spec, candidate);
        }
    }

    /** Fingerprints the run's inputs as the worker sees them (after its path map). */
    static final class Fingerprint implements Callable<Map<String, String>>, Serializable, HazelcastInstanceAware {
        @Serial
        private static final long serialVersionUID = 1L;
        private final RunSpec spec;
        private transient HazelcastInstance hz;

        Fingerprint(RunSpec spec) {
            this.spec = spec;
        }

        @Override
        public void setHazelcastInstance(HazelcastInstance hz) {
            this.hz = hz;
        }

        @Override
        public Map<String, String> call() {
            PathMap paths = runtime(hz).paths();
            Map<String, String> out = new LinkedHashMap<>();
            for (String p : spec.inputPaths()) {
                out.put(p, InputFingerprint.of(Path.of(paths.apply(p))));
            }
            return out;
        }
    }

    /** Tells a worker it was refused and why; the worker prints the reason and leaves the cluster. */
    static final class Refuse implements Callable<Boolean>, Serializable, HazelcastInstanceAware {
        @Serial
        private static final long serialVersionUID = 1L;
        private final String reason;
        private transient HazelcastInstance hz;

        Refuse(String reason) {
            this.reason = reason;
        }

        @Override
        public void setHazelcastInstance(HazelcastInstance hz) {
            this.hz = hz;
        }

        @Override
        public Boolean call() {
            Object onRefused = hz.getUserContext().get(ClusterWorker.ON_REFUSED);
            if (onRefused instanceof java.util.function.Consumer<?> c) {
                @SuppressWarnings("unchecked")
                java.util.function.Consumer<String> sink = (java.util.function.Consumer<String>) c;
                sink.accept(reason);
            }
            return true;
        }
    }
}
