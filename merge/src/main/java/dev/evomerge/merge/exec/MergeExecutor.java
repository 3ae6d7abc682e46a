package dev.evomerge.merge.exec;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.MappedPageAdvice;
import dev.evomerge.core.tensor.Kernels;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.core.tensor.TensorSink;
import dev.evomerge.merge.config.ModelReference;
import dev.evomerge.merge.method.MaskSource;
import dev.evomerge.merge.method.MergeInputs;
import dev.evomerge.merge.method.TaskVectorCache;
import dev.evomerge.merge.plan.JobInput;
import dev.evomerge.merge.plan.JobParameters;
import dev.evomerge.merge.plan.MergePlan;
import dev.evomerge.merge.plan.TensorJob;

import java.lang.foreign.Arena;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.ForkJoinWorkerThread;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

/**
 * Runs a plan's tensors on a fixed number of threads into a {@link TensorSink}. Each tensor is read from the
 * memory-mapped inputs, cast to the work dtype, re-indexed for the tokenizer if needed, merged, cast to the output
 * dtype and handed to the sink; nothing else is kept, so memory stays about {@code threads} tensors' worth, and
 * a budget of half the heap limits how many huge tensors (embeddings) are merged at once.
 */
public final class MergeExecutor {

    /**
     * How to execute.
     *
     * @param threads tensors merged at once (at least 1)
     * @param masks   random draws of dare, della and arcee_fusion (seeded for reproducible merges)
     * @param cache   task-vector reuse across merges of one plan, or null
     * @param releaseInputPages drop each memory-mapped input tensor's pages from the process after its merge, so
     *                the resident set of a large merge stays small (worth it for one pass over the inputs; the
     *                evolution loop, which re-reads them for every candidate, keeps them)
     * @param populateInputPages map each input tensor's pages in one call before merging it, instead of a page fault
     *                for every few pages (always done when they are released; worth it for the first merge of a
     *                session that keeps them)
     */
    public record Options(int threads, MaskSource masks, TaskVectorCache cache, boolean releaseInputPages,
                          boolean populateInputPages) {
        public Options {
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be at least 1");
            }
        }

        /** Options that keep input pages mapped. */
        public Options(int threads, MaskSource masks, TaskVectorCache cache) {
            this(threads, masks, cache, false, false);
        }

        /** These options with page release switched on or off. */
        public Options withReleaseInputPages(boolean release) {
            return new Options(threads, masks, cache, release, populateInputPages);
        }

        /** These options with the populating of input pages before each tensor switched on or off. */
        public Options withPopulateInputPages(boolean populate) {
            return new Options(threads, masks, cache, releaseInputPages, populate);
        }
    }

    /** Resident-set budget for the tensors in flight of a merge that releases input pages (MiB). */
    static final int RESIDENT_BUDGET_MIB = 384;

    private MergeExecutor() {
    }

    /**
     * Merges every tensor of {@code plan} with {@code parameters} (one entry per job) into {@code sink}, calling
     * {@code done} after each tensor (from worker threads). Does not commit the sink. The first failure stops the
     * merge and is rethrown.
     */
    public static void execute(MergePlan plan, List<JobParameters> parameters, TensorSink sink, Options options,
                               Consumer<TensorJob> done) {
        List<TensorJob> jobs = plan.jobs();
        if (parameters.size() != jobs.size()) {
            throw new IllegalArgumentException("one JobParameters per job expected");
        }
        // Methods work on float copies of whole tensors, so a job needs about 4 bytes per element per input plus
        // output and scratch; a budget of half the heap (but at least the largest job) keeps several huge tensors
        // (embeddings) from being merged at once and exhausting it. Units: MiB.
        int largest = 1;
        for (TensorJob job : jobs) {
            largest = Math.max(largest, workingMiB(job));
        }
        int budget = (int) Math.max(largest, Math.min(Integer.MAX_VALUE, Runtime.getRuntime().maxMemory() / 2 >> 20));
        Semaphore memory = new Semaphore(budget, true);
        // When input pages are released after each tensor, the resident set is about the mapped inputs and the output
        // of the tensors in flight; a second budget keeps it to a fraction of a model (a huge embedding then runs
        // alone, its kernels parallel inside). Units: MiB.
        int residentLargest = 1;
        for (TensorJob job : jobs) {
            residentLargest = Math.max(residentLargest, residentMiB(job));
        }
        Semaphore resident = new Semaphore(Math.max(residentLargest, RESIDENT_BUDGET_MIB), true);
        // One work-stealing pool of `threads` workers runs the tensors and the pieces that the kernels split a tensor
        // into (their parallel streams run in the pool of the thread that starts them): the cores stay busy with
        // whichever is there, and no more threads run than asked for. A fixed pool of tensor threads whose kernels
        // split into the common pool ran three threads on two cores, and a 760M re-merge took twice as long
        // (docs/benchmarks.md, "One pool for tensors and their pieces").
        AtomicInteger workers = new AtomicInteger();
        ForkJoinPool pool = new ForkJoinPool(options.threads(), p -> worker(p, workers.getAndIncrement()), null,
                false);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        try {
            List<ForkJoinTask<?>> tasks = new ArrayList<>(jobs.size());
            for (int i = 0; i < jobs.size() && failure.get() == null; i++) {
                TensorJob job = jobs.get(i);
                JobParameters p = parameters.get(i);
                int need = workingMiB(job);
                int mapped = options.releaseInputPages() ? residentMiB(job) : 0;
                // the budgets are taken here, before the tensor is handed over, so that no worker waits for them:
                // a waiting worker would leave the pieces of the tensors in flight to the others
                memory.acquire(need);
                resident.acquire(mapped);
                tasks.add(pool.submit(() -> {
                    try {
                        if (failure.get() == null) { // the first failure stops the merge
                            run(plan, job, p, sink, options);
                            done.accept(job);
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    } finally {
                        resident.release(mapped);
                        memory.release(need);
                    }
                }));
            }
            for (ForkJoinTask<?> task : tasks) {
                task.get(); // every failure is caught in the task, so only an interrupt ends this early
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure.compareAndSet(null, EvomergeException.runtime("The merge was interrupted.", e));
        } catch (ExecutionException e) {
            failure.compareAndSet(null, e.getCause());
        } finally {
            pool.shutdownNow();
        }
        if (failure.get() != null) {
            throw rethrow(failure.get());
        }
    }

    /** The n-th worker of a merge's pool (its pool index is not known until it runs). */
    private static ForkJoinWorkerThread worker(ForkJoinPool pool, int n) {
        ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(pool);
        t.setName("evomerge-merge-" + n);
        t.setDaemon(true);
        return t;
    }

    /** Estimated heap a job's merge needs, in MiB: float copies of every input, the output and one scratch copy. */
    static int workingMiB(TensorJob job) {
        long elements = job.shape().numel();
        for (JobInput in : job.inputs()) {
            elements = Math.max(elements, in.stored().shape().numel());
        }
        long bytes = 4L * elements * (job.inputs().size() + 2);
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, bytes >> 20));
    }

    /** The bytes a job keeps resident while it runs, in MiB: its stored (mapped) inputs plus its output. */
    static int residentMiB(TensorJob job) {
        long bytes = job.shape().numel() * job.workDtype().byteSize();
        for (JobInput in : job.inputs()) {
            bytes += in.stored().shape().numel() * in.stored().dtype().byteSize();
        }
        return (int) Math.min(Integer.MAX_VALUE, Math.max(1, bytes >> 20));
    }

    private static RuntimeException rethrow(Throwable cause) {
        if (cause instanceof RuntimeException r) {
            return r;
        }
        if (cause instanceof Error e) {
            throw e;
        }
        return EvomergeException.runtime("The merge failed: " + cause.getMessage(), cause);
    }

    /** Merges one tensor; copies made here live in an arena closed when the tensor is done. */
    static void run(MergePlan plan, TensorJob job, JobParameters params, TensorSink sink, Options options) {
        List<Tensor> stored = new ArrayList<>(job.inputs().size());
        try (Arena arena = new OnDemandArena()) {
            List<Tensor> tensors = new ArrayList<>(job.inputs().size());
            List<ModelReference> models = new ArrayList<>(job.inputs().size());
            for (JobInput in : job.inputs()) {
                Tensor input = plan.models().get(in.model()).tensors().tensor(in.storedName());
                stored.add(input);
                if (options.releaseInputPages() || options.populateInputPages()) {
                    // one call maps the tensor's pages instead of a page fault for every few of them (measured on
                    // a 760M-parameter task_arithmetic merge to /dev/shm: 30 % less system time); released pages
                    // are dropped below, so the resident set stays what it was
                    MappedPageAdvice.populate(input.data());
                }
                tensors.add(input.dtype() == job.workDtype() ? input
                        : Kernels.convert(input, job.workDtype(), arena));
                models.add(in.model());
            }
            if (job.permuted()) {
                tensors = plan.vocabulary().permute(job.name(), models, tensors, job.baseModel());
            }
            List<MergeInputs.InputTensor> inputs = new ArrayList<>(tensors.size());
            for (int i = 0; i < tensors.size(); i++) {
                inputs.add(new MergeInputs.InputTensor(models.get(i).toString(), tensors.get(i),
                        params.perInput().get(i)));
            }
            // A method that streams its result may write it straight into the sink's memory for the tensor (a
            // resident weight, the file writer's reused output buffer) when no cast to out_dtype follows.
            MergeInputs mi = new MergeInputs(job.name(), job.isEmbed(), inputs,
                    job.baseModel() == null ? null : job.baseModel().toString(), params.global(), job.workDtype(),
                    options.masks(), options.cache(),
                    job.outDtype() == job.workDtype() ? new SinkOutput(sink, job.name()) : null);
            Tensor merged = plan.method().merge(mi, arena);
            if (!merged.shape().equals(job.shape())) {
                throw new IllegalStateException("method " + plan.method().name() + " returned shape "
                        + merged.shape() + " for " + job.name() + ", planned " + job.shape());
            }
            if (merged.dtype() != job.outDtype()) {
                merged = Kernels.convert(merged, job.outDtype(), arena);
            }
            sink.accept(job.name(), merged);
        } finally {
            if (options.releaseInputPages()) {
                stored.forEach(t -> MappedPageAdvice.release(t.data()));
            }
        }
    }
}
