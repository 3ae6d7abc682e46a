package dev.evomerge.evolve.local;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.eval.DocumentChoice;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.DocumentEvaluator;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.ScoredEvaluation;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Candidates evaluated in this process by {@code workers} slots, with LLM-Evo-Merge's strategies: {@code pool} gives
 * each slot the next candidate; {@code serial} evaluates one at a time; {@code buffered} (on-disk only) merges the next
 * candidates while the current ones are scored. Slots are built on first use and kept for the whole run. With a time
 * limit ({@code --timeout}), a candidate whose evaluation (its scoring, for {@code buffered}) runs past it is recorded
 * as failed with an error naming the limit, and its slot takes the next candidate.
 */
public final class LocalEvaluator implements DocumentEvaluator {

    /** The --strategy values (LLM-Evo-Merge's). */
    public enum Strategy {
        POOL, BUFFERED, SERIAL;

        /** The option value: pool, buffered or serial. */
        public String text() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Strategy parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw EvomergeException.usage("--strategy must be pool, buffered or serial, got '" + s + "'.");
            }
        }
    }

    private final EvaluationSettings settings;
    private final int workers;
    private final Strategy strategy;
    private final Consumer<String> warnings;
    private final List<CandidateWorker> slots = new ArrayList<>();
    private final Long timeoutSeconds;
    private final ScheduledExecutorService timer;

    public LocalEvaluator(EvaluationSettings settings, int workers, Strategy strategy, Consumer<String> warnings) {
        this(settings, workers, strategy, null, warnings);
    }

    /** @param timeoutSeconds the time one candidate may take (null = no limit) */
    public LocalEvaluator(EvaluationSettings settings, int workers, Strategy strategy, Long timeoutSeconds,
                          Consumer<String> warnings) {
        if (workers < 1) {
            throw EvomergeException.usage("--num-workers must be at least 1.");
        }
        checkStrategy(strategy, settings.inMemory());
        if (timeoutSeconds != null && timeoutSeconds < 1) {
            throw EvomergeException.usage("--timeout must be at least 1, got " + timeoutSeconds + ".");
        }
        this.timeoutSeconds = timeoutSeconds;
        this.timer = timeoutSeconds == null ? null : Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "evomerge-timeout");
            t.setDaemon(true);
            return t;
        });
        this.settings = settings;
        this.workers = strategy == Strategy.SERIAL ? 1 : workers;
        this.strategy = strategy;
        this.warnings = warnings;
    }

    /** Refuses a strategy that cannot work with the in-memory setting (called before a run writes anything). */
    public static void checkStrategy(Strategy strategy, boolean inMemory) {
        if (strategy == Strategy.BUFFERED && inMemory) {
            throw EvomergeException.usage("--strategy buffered merges ahead to disk: use it with --no-in-memory.");
        }
    }

    /** Runs one evaluation step under the time limit; past it, the candidate is recorded as timed out. */
    private Evaluation timed(Candidate c, int slot, Function<Deadline, Evaluation> step) {
        if (timeoutSeconds == null) {
            return step.apply(Deadline.NONE);
        }
        long t0 = System.nanoTime();
        try (Deadline d = Deadline.after(timeoutSeconds, timer)) {
            Evaluation e = step.apply(d);
            if (!d.expired()) {
                return e;
            }
            return Evaluation.failed(c, "evaluation timed out after " + timeoutSeconds + " s (--timeout " + timeoutSeconds
                    + ")", e.mergeSeconds(), Math.max(0, (System.nanoTime() - t0) / 1e9 - e.mergeSeconds()), "local-" + slot);
        }
    }

    private synchronized CandidateWorker slot(int i) {
        while (slots.size() <= i) {
            String name = "local-" + slots.size();
            slots.add(settings.inMemory() ? new InMemoryWorker(settings, name, warnings) : new OnDiskWorker(settings, name, warnings));
        }
        return slots.get(i);
    }

    @Override
    public void evaluate(List<Candidate> candidates, Consumer<Evaluation> done) {
        evaluate(candidates, DocumentChoice.ALL, s -> done.accept(s.evaluation()));
    }

    /** A slot's result with the per-document values and tokens its scorer saw for it. */
    private static ScoredEvaluation scored(CandidateWorker slot, Evaluation e) {
        TaskScorer s = slot.scorer();
        return new ScoredEvaluation(e, e.error() == null ? s.lastDocuments() : List.of(), s.lastTokens());
    }

    @Override
    public void evaluate(List<Candidate> candidates, DocumentChoice choice, Consumer<ScoredEvaluation> done) {
        if (candidates.isEmpty()) {
            return;
        }
        Consumer<ScoredEvaluation> report = e -> {
            synchronized (this) {
                done.accept(e);
            }
        };
        if (strategy == Strategy.BUFFERED) {
            buffered(candidates, choice, report);
            return;
        }
        ConcurrentLinkedQueue<Candidate> queue = new ConcurrentLinkedQueue<>(candidates);
        int n = Math.min(workers, candidates.size());
        List<Thread> threads = new ArrayList<>();
        RuntimeException[] failure = new RuntimeException[1];
        for (int w = 0; w < n; w++) {
            int slotIndex = w;
            threads.add(Thread.ofPlatform().name("evomerge-worker-" + w).start(() -> {
                try {
                    CandidateWorker slot = slot(slotIndex);
                    slot.scorer().choose(choice);
                    for (Candidate c; (c = queue.poll()) != null; ) {
                        Candidate candidate = c;
                        report.accept(scored(slot, timed(candidate, slotIndex, d -> slot.evaluate(candidate, d))));
                    }
                } catch (RuntimeException e) {
                    synchronized (failure) {
                        failure[0] = e; // a slot that cannot even be built (e.g. the resident model does not load)
                    }
                }
            }));
        }
        join(threads);
        if (failure[0] != null) {
            throw failure[0];
        }
    }

    private void buffered(List<Candidate> candidates, DocumentChoice choice, Consumer<ScoredEvaluation> report) {
        BlockingQueue<Object> merged = new ArrayBlockingQueue<>(workers);
        Object end = new Object();
        ConcurrentLinkedQueue<Candidate> queue = new ConcurrentLinkedQueue<>(candidates);
        OnDiskWorker merger = (OnDiskWorker) slot(0);
        Thread producer = Thread.ofPlatform().name("evomerge-merger").start(() -> {
            try {
                for (Candidate c; (c = queue.poll()) != null; ) {
                    merged.put(merger.merge(c));
                }
                for (int i = 0; i < workers; i++) {
                    merged.put(end);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        List<Thread> scorers = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            OnDiskWorker slot = (OnDiskWorker) slot(w);
            slot.scorer().choose(choice);
            int slotIndex = w;
            scorers.add(Thread.ofPlatform().name("evomerge-scorer-" + w).start(() -> {
                try {
                    for (Object m; (m = merged.take()) != end; ) {
                        OnDiskWorker.Merged merge = (OnDiskWorker.Merged) m;
                        report.accept(scored(slot, timed(merge.candidate(), slotIndex, d -> slot.score(merge, d))));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        join(List.of(producer));
        join(scorers);
    }

    private static void join(List<Thread> threads) {
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while evaluating candidates", e);
            }
        }
    }

    @Override
    public synchronized void close() {
        slots.forEach(CandidateWorker::close);
        slots.clear();
        if (timer != null) {
            timer.shutdownNow();
        }
    }
}
