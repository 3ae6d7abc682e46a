package dev.evomerge.bench;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Kernels;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Supplier;
import java.util.stream.LongStream;

/**
 * In-memory dtype conversion throughput of {@link Kernels#convert} against this machine's memory-copy bandwidth,
 * both measured in the same run on the same threads. Figures are GB/s of input bytes (1 GB = 1e9 bytes).
 *
 * <p>Usage: {@code ConvertBench [INPUT_MIB] [ROUNDS] [PASSES]} (defaults: 512 MiB of bf16 input, 3 passes of
 * best-of-10 rounds). It runs with 1 thread and with all cores. The copy moves 4 MiB pieces, above the size from
 * which the JDK's copy stub uses non-temporal stores, so it is the fastest copy Java offers here.
 * {@link #measureConvert} and {@link #measureCopy} are public so other benchmarks (e.g. reading safetensors files)
 * can report the same measurements.
 */
public final class ConvertBench {

    private static final double GB = 1e9;

    private ConvertBench() {
    }

    /** Best time of several rounds of an operation that reads inputBytes. */
    public record Measurement(String what, int threads, long inputBytes, double bestSeconds) {

        /** Input bytes per second, in GB/s. */
        public double gbPerSecond() {
            return inputBytes / GB / bestSeconds;
        }

        @Override
        public String toString() {
            return String.format("%-34s %d thread%s  %7.2f GB/s in  (best %.4f s for %.0f MiB)", what, threads,
                    threads == 1 ? " " : "s", gbPerSecond(), bestSeconds, inputBytes / 1048576.0);
        }
    }

    /**
     * Converts src into dst (allocated by the caller, e.g. once for many tensors) rounds times on a pool of the
     * given number of threads and returns the best round. Kernels.convert's parallel streams run in that pool.
     */
    public static Measurement measureConvert(Tensor src, Tensor dst, int threads, int rounds) {
        String what = src.dtype() + " -> " + dst.dtype() + " (Kernels.convert)";
        return best(what, threads, src.byteSize(), rounds, () -> {
            Kernels.convert(src, dst);
            return null;
        });
    }

    /** As {@link #measureConvert(Tensor, Tensor, int, int)}, with a destination allocated and freed here. */
    public static Measurement measureConvert(Tensor src, DType target, int threads, int rounds) {
        try (Arena arena = Arena.ofShared()) {
            Tensor dst = Tensor.allocate(target, src.shape(), arena); // zero-filled, so its pages are mapped
            return measureConvert(src, dst, threads, rounds);
        }
    }

    /**
     * Conversion throughput with data that stays in the core's cache (64 Ki elements, converted 200 times per round,
     * one thread): what the kernel itself can do when memory is not the limit.
     */
    public static Measurement measureConvertInCache(DType from, DType to, int rounds) {
        try (Arena arena = Arena.ofShared()) {
            Tensor src = Tensor.allocate(from, Shape.of(1 << 16), arena);
            Tensor dst = Tensor.allocate(to, src.shape(), arena);
            int repeats = 200;
            return best(from + " -> " + to + " in cache (Kernels.convert)", 1, repeats * src.byteSize(), rounds, () -> {
                for (int r = 0; r < repeats; r++) {
                    Kernels.convert(src, dst);
                }
                return null;
            });
        }
    }

    /**
     * MemorySegment.copy bandwidth (GB/s of bytes copied, each read once and written once) over two buffers of the
     * given size, split into 4 MiB pieces across the pool. Pieces that large make the JDK's copy stub use
     * non-temporal stores, so this is the fastest copy available to Java code here.
     */
    public static Measurement measureCopy(long bytes, int threads, int rounds) {
        return measureCopy(bytes, 4L << 20, threads, rounds);
    }

    /**
     * As {@link #measureCopy(long, int, int)} with copies of pieceBytes each. Pieces of 1 MiB stay below the JDK
     * stub's non-temporal threshold, so that copy writes through the cache like the conversion kernels do.
     */
    public static Measurement measureCopy(long bytes, long pieceBytes, int threads, int rounds) {
        try (Arena arena = Arena.ofShared()) {
            MemorySegment a = arena.allocate(bytes, 64);
            MemorySegment b = arena.allocate(bytes, 64);
            a.fill((byte) 1);
            long chunk = pieceBytes;
            long chunks = (bytes + chunk - 1) / chunk;
            String what = "memory copy (MemorySegment.copy, " + (pieceBytes >> 10) + " KiB pieces)";
            Measurement m = best(what, threads, bytes, rounds, () -> {
                LongStream.range(0, chunks).parallel().forEach(c -> {
                    long from = c * chunk;
                    MemorySegment.copy(a, from, b, from, Math.min(chunk, bytes - from));
                });
                return null;
            });
            if (b.get(ValueLayout.JAVA_BYTE, bytes - 1) != 1) {
                throw new IllegalStateException("the copy did not happen");
            }
            return m;
        }
    }

    private static Measurement best(String what, int threads, long inputBytes, int rounds, Supplier<Void> op) {
        ForkJoinPool pool = new ForkJoinPool(threads);
        try {
            return pool.submit(() -> {
                op.get(); // warm-up: JIT compilation, first touch of any lazily mapped page
                op.get();
                double best = Double.MAX_VALUE;
                for (int r = 0; r < rounds; r++) {
                    long t0 = System.nanoTime();
                    op.get();
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                }
                return new Measurement(what, threads, inputBytes, best);
            }).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (ExecutionException e) {
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdown();
        }
    }

    public static void main(String[] args) {
        long inputBytes = (args.length > 0 ? Long.parseLong(args[0]) : 512) << 20;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int passes = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.printf("ConvertBench: %d MiB bf16 input, %d passes x best of %d rounds, %d cores, species %s%n",
                inputBytes >> 20, passes, rounds, cores, jdk.incubator.vector.FloatVector.SPECIES_PREFERRED);
        try (Arena arena = Arena.ofShared()) {
            long n = inputBytes / 2;
            Tensor bf16 = Tensor.allocate(DType.BF16, Shape.of(n), arena);
            SplittableRandom random = new SplittableRandom(42);
            for (long i = 0; i < n; i++) {
                bf16.data().setAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, i, (short) random.nextInt());
            }
            Tensor f32 = Tensor.allocate(DType.F32, bf16.shape(), arena);
            System.out.println(measureConvertInCache(DType.BF16, DType.F32, rounds));
            for (int threads : cores > 1 ? new int[] {1, cores} : new int[] {1}) {
                // copy and conversion alternate, so a noisy neighbour slows both alike; the best of each is kept
                Measurement copy = null;
                Measurement cachedCopy = null;
                Measurement widen = null;
                Measurement narrow = null;
                for (int pass = 0; pass < passes; pass++) {
                    copy = faster(copy, measureCopy(inputBytes, threads, rounds));
                    widen = faster(widen, measureConvert(bf16, f32, threads, rounds));
                    cachedCopy = faster(cachedCopy, measureCopy(inputBytes, 1L << 20, threads, rounds));
                    narrow = faster(narrow, measureConvert(f32, bf16, threads, rounds));
                }
                System.out.println(copy);
                System.out.println(cachedCopy);
                System.out.println(widen);
                System.out.println(narrow);
                System.out.printf("RESULT threads=%d bf16->f32 %.2f GB/s in, memcpy %.2f GB/s, ratio %.2f"
                                + " (vs the cached-store copy %.2f; f32->bf16 ratio %.2f)%n", threads,
                        widen.gbPerSecond(), copy.gbPerSecond(), widen.gbPerSecond() / copy.gbPerSecond(),
                        widen.gbPerSecond() / cachedCopy.gbPerSecond(), narrow.gbPerSecond() / copy.gbPerSecond());
            }
        }
    }

    private static Measurement faster(Measurement best, Measurement m) {
        return best == null || m.bestSeconds() < best.bestSeconds() ? m : best;
    }
}
