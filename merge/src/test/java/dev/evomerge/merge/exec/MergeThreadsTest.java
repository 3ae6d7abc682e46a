package dev.evomerge.merge.exec;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.RowBlockTarget;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.core.tensor.TensorSink;
import dev.evomerge.merge.MergeOptions;
import dev.evomerge.merge.MergeReporter;
import dev.evomerge.merge.MergeSession;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.MergeConfigReader;
import dev.evomerge.merge.testing.TestModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A merge runs its tensors, and the pieces its kernels split them into, on its own {@code threads} workers: no
 * other pool's threads (a fixed pool of tensor threads whose kernels split into the common pool ran three threads on
 * two cores and halved a re-merge's speed), and the tensors come out as from any other thread count.
 */
class MergeThreadsTest {

    @TempDir
    static Path dir;
    static Path b;
    static Path a;
    static Path c;

    @BeforeAll
    static void models() {
        b = TestModels.base(dir, "b", 2, DType.BF16, 51);
        a = TestModels.fineTune(b, dir, "a", 52);
        c = TestModels.fineTune(b, dir, "c", 53);
    }

    /** linear over the three models, or task_arithmetic / ties over the base. */
    private static MergeConfig config(String method) {
        String models = method.equals("linear")
                ? "  - {model: %s, parameters: {weight: 0.3}}\n".formatted(b) : "";
        return MergeConfigReader.parse("""
                merge_method: %s
                %s
                models:
                %s  - {model: %s, parameters: {weight: 0.5, density: 0.6}}
                  - {model: %s, parameters: {weight: 0.2, density: 0.6}}
                dtype: bfloat16
                """.formatted(method, method.equals("linear") ? "" : "base_model: " + b, models, a, c), "cfg.yml",
                w -> { });
    }

    /** Resident weights whose 2-D bf16 tensors take their rows four at a time, noting the threads that hand them. */
    private static final class RecordingSink implements TensorSink {
        final ResidentTensors weights;
        /** The threads that handed rows over: name and identity (a name could be shared). */
        final Set<String> threads = ConcurrentHashMap.newKeySet();
        final Set<String> rowsPut = ConcurrentHashMap.newKeySet();

        RecordingSink(ResidentTensors weights) {
            this.weights = weights;
        }

        @Override
        public void accept(String name, Tensor tensor) {
            weights.accept(name, tensor);
        }

        @Override
        public Tensor target(String name) {
            return weights.target(name);
        }

        @Override
        public RowBlockTarget rowTarget(String name) {
            Tensor t = weights.tensor(name);
            if (t.dtype() != DType.BF16 || t.shape().rank() != 2) {
                return null;
            }
            long rowBytes = 2 * t.shape().dim(1);
            return new RowBlockTarget() {
                @Override
                public DType dtype() {
                    return DType.BF16;
                }

                @Override
                public Shape shape() {
                    return t.shape();
                }

                @Override
                public int blockRows() {
                    return 4;
                }

                @Override
                public void putRows(int row0, int n, MemorySegment rows) {
                    threads.add(Thread.currentThread().getName() + "#" + Thread.currentThread().threadId());
                    rowsPut.add(name);
                    MemorySegment.copy(rows, 0, t.data(), row0 * rowBytes, n * rowBytes);
                }
            };
        }

        @Override
        public void commit() {
        }

        @Override
        public void close() {
        }
    }

    /** The merge into resident weights whose matrices take rows (rows) or are written whole (not rows). */
    private static RecordingSink merge(String method, int threads, boolean rows) {
        MergeConfig cfg = config(method);
        try (MergeSession s = MergeSession.open(cfg, MergeOptions.defaults().withThreads(threads)
                .withRandomSeed(1L), MergeReporter.silent())) {
            ResidentTensors weights = new ResidentTensors(s.plan().outputs());
            RecordingSink sink = new RecordingSink(weights);
            s.mergeInto(rows ? sink : weights);
            return sink;
        }
    }

    /**
     * Also: the rows that linear, task_arithmetic and ties (its one-pass kernel) hand over a block at a time make
     * the same tensors as the whole tensors they write without a row target.
     */
    @ParameterizedTest
    @ValueSource(strings = {"linear", "task_arithmetic", "ties"})
    void tensorsAndTheirPiecesRunOnTheMergesOwnThreadsOnly(String method) {
        RecordingSink two = merge(method, 2, true);
        RecordingSink one = merge(method, 1, true);
        RecordingSink whole = merge(method, 2, false);
        try (ResidentTensors a = two.weights; ResidentTensors b = one.weights; ResidentTensors w = whole.weights) {
            // the embedding (272 rows) is 68 blocks of four rows: its kernel splits it into pieces
            assertThat(two.rowsPut).contains("model.embed_tokens.weight", "lm_head.weight");
            assertThat(two.threads).isNotEmpty().hasSizeLessThanOrEqualTo(2)
                    .allSatisfy(t -> assertThat(t).startsWith("evomerge-merge-"));
            assertThat(one.threads).hasSize(1).allSatisfy(t -> assertThat(t).startsWith("evomerge-merge-"));
            // every worker has a name of its own, so a thread dump tells them apart
            assertThat(two.threads.stream().map(t -> t.substring(0, t.indexOf('#'))).distinct().count())
                    .isEqualTo(two.threads.size());
            assertThat(a.tensorNames()).containsExactlyInAnyOrderElementsOf(b.tensorNames());
            assertThat(whole.rowsPut).isEmpty();
            for (String name : a.tensorNames()) {
                assertThat(a.tensor(name).data().mismatch(b.tensor(name).data())).as(name).isEqualTo(-1L);
                assertThat(a.tensor(name).data().mismatch(w.tensor(name).data())).as(name).isEqualTo(-1L);
            }
        }
    }

    @Test
    void aTensorsArenaIsSharedOnlyOnceALargeBlockIsAllocated() {
        MemorySegment small;
        MemorySegment large;
        try (OnDemandArena arena = new OnDemandArena()) {
            small = arena.allocate(OnDemandArena.SMALL - 1, 64);
            assertThat(arena.sharedMade()).isFalse();
            large = arena.allocate(OnDemandArena.SMALL, 64);
            assertThat(arena.sharedMade()).isTrue();
            // another thread may fill a shared arena's block (a kernel's pieces do)
            Thread t = Thread.ofPlatform().start(() -> large.fill((byte) 7));
            join(t);
            assertThat(large.get(java.lang.foreign.ValueLayout.JAVA_BYTE, OnDemandArena.SMALL - 1)).isEqualTo((byte) 7);
        }
        assertThat(large.scope().isAlive()).isFalse();
        // a small block belongs to the garbage collector and stays usable while it is reachable
        small.fill((byte) 3);
        assertThat(small.get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0)).isEqualTo((byte) 3);
        try (Arena unused = new OnDemandArena()) {
            assertThat(((OnDemandArena) unused).sharedMade()).isFalse();
        }
    }

    private static void join(Thread t) {
        try {
            t.join();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
