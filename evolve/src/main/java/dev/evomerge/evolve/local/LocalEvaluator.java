package dev.evomerge.evolve.local;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.Evaluation;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Consumer;

/**
 * Candidates evaluated in this process by {@code workers} slots, with the seed's strategies: {@code pool} gives each
 * slot the next candidate; {@code serial} evaluates one at a time; {@code buffered} (on-disk only) merges the next
 * candidates while the current ones are scored. Slots are built on first use and kept for the whole run.
 */
public final class LocalEvaluator implements CandidateEvaluator {

    /** The seed's --strategy values. */
    public enum Strategy {
        POOL, BUFFERED, SERIAL;

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

    public LocalEvaluator(EvaluationSettings settings, int workers, Strategy strategy, Consumer<String> warnings) {
        if (workers < 1) {
            throw EvomergeException.usage("--num-workers must be at least 1.");
        }
        if (strategy == Strategy.BUFFERED && settings.inMemory()) {
            throw EvomergeException.usage("--strategy buffered merges ahead to disk: use it with --no-in-memory.");
        }
        this.settings = settings;
        this.workers = strategy == Strategy.SERIAL ? 1 : workers;
        this.strategy = strategy;
        this.warnings = warnings;
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
        if (candidates.isEmpty()) {
            return;
        }
        Consumer<Evaluation> report = e -> {
            synchronized (this) {
                done.accept(e);
            }
        };
        if (strategy == Strategy.BUFFERED) {
            buffered(candidates, report);
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
                    for (Candidate c; (c = queue.poll()) != null; ) {
                        report.accept(slot.evaluate(c));
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

    private void buffered(List<Candidate> candidates, Consumer<Evaluation> report) {
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
            scorers.add(Thread.ofPlatform().name("evomerge-scorer-" + w).start(() -> {
                try {
                    for (Object m; (m = merged.take()) != end; ) {
                        report.accept(slot.score((OnDiskWorker.Merged) m));
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
    }
}
