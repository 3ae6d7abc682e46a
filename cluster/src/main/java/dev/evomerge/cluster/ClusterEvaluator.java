package dev.evomerge.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.config.Config;
import com.hazelcast.core.ExecutionCallback;
import com.hazelcast.core.Hazelcast;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.core.HazelcastInstanceNotActiveException;
import com.hazelcast.core.IExecutorService;
import com.hazelcast.core.MemberLeftException;
import com.hazelcast.spi.exception.TargetNotMemberException;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.Evaluation;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The coordinator's side of the cluster: a lite Hazelcast member that checks each joining worker's view of the inputs,
 * then sends each candidate to a free slot. A candidate whose worker dies is sent elsewhere; one that exceeds the
 * evaluation timeout is retried on another worker, then recorded as failed. Every candidate is reported exactly once.
 */
public final class ClusterEvaluator implements CandidateEvaluator {

    private record Slotted(Member member, int slots) {
    }

    private record Pending(Candidate candidate, int timeouts, Set<UUID> timedOutOn) {
    }

    private record InFlight(long token, Pending pending, Member member, long startNanos, Future<Evaluation> future) {
    }

    private record Outcome(long token, Evaluation evaluation, Throwable failure) {
    }

    private final HazelcastInstance hz;
    private final RunSpec spec;
    private final Duration evalTimeout;
    private final int maxTimeouts;
    private final Consumer<String> log;
    private final Map<String, String> expected = new LinkedHashMap<>();
    private final Map<UUID, Slotted> accepted = new ConcurrentHashMap<>();
    private final Set<UUID> refused = ConcurrentHashMap.newKeySet();
    private final IExecutorService executor;
    private final Object changed = new Object();

    /** Starts the coordinator member and accepts the workers that see the same inputs. */
    public ClusterEvaluator(ClusterOptions options, RunSpec spec, Duration evalTimeout, int maxTimeouts, Consumer<String> log) {
        this.spec = spec;
        this.evalTimeout = evalTimeout;
        this.maxTimeouts = maxTimeouts;
        this.log = log;
        for (String p : spec.inputPaths()) {
            expected.put(p, InputFingerprint.of(Path.of(p)));
        }
        Config config = options.toConfig("coordinator", Map.of(), Map.of());
        config.setLiteMember(true);
        this.hz = Hazelcast.newHazelcastInstance(config);
        this.executor = hz.getExecutorService(ClusterWorker.EXECUTOR);
        hz.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent e) {
                Thread.ofPlatform().start(() -> verify(e.getMember()));
            }

            @Override
            public void memberRemoved(MembershipEvent e) {
                if (accepted.remove(e.getMember().getUuid()) != null) {
                    log.accept("worker " + e.getMember().getAddress() + " left the cluster");
                }
                signal();
            }
        });
        for (Member m : hz.getCluster().getMembers()) {
            if (!m.localMember()) {
                verify(m);
            }
        }
    }

    /** Number of workers currently accepted. */
    public int workers() {
        return accepted.size();
    }

    /** Waits until at least {@code n} workers are accepted or the timeout passes; returns whether they are. */
    public boolean awaitWorkers(int n, Duration timeout) throws InterruptedException {
        long end = System.nanoTime() + timeout.toNanos();
        synchronized (changed) {
            while (accepted.size() < n) {
                long left = end - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                TimeUnit.NANOSECONDS.timedWait(changed, left);
            }
        }
        return true;
    }

    private void verify(Member m) {
        if (!"worker".equals(m.getAttribute(ClusterOptions.ROLE))) {
            return;
        }
        try {
            Map<String, String> seen = executor.submitToMember(new ClusterTasks.Fingerprint(spec), m).get(60, TimeUnit.SECONDS);
            List<String> diffs = new ArrayList<>();
            for (var e : expected.entrySet()) {
                String theirs = seen.get(e.getKey());
                if (!e.getValue().equals(theirs)) {
                    diffs.add(e.getKey() + (("missing".equals(theirs)) ? " is missing" : " differs (" + theirs + " vs " + e.getValue() + ")"));
                }
            }
            if (diffs.isEmpty()) {
                int slots = Integer.parseInt(m.getAttribute(ClusterOptions.SLOTS));
                accepted.put(m.getUuid(), new Slotted(m, slots));
                log.accept("worker " + m.getAddress() + " accepted with " + slots + " slot(s)");
            } else {
                refused.add(m.getUuid());
                String reason = "worker " + m.getAddress() + " does not see the same inputs as the coordinator: " + String.join("; ", diffs) + ".";
                log.accept("refused " + reason);
                executor.submitToMember(new ClusterTasks.Refuse(reason), m);
            }
        } catch (Exception e) {
            log.accept("could not check worker " + m.getAddress() + ": " + e.getMessage());
        }
        signal();
    }

    private void signal() {
        synchronized (changed) {
            changed.notifyAll();
        }
    }

    @Override
    public void evaluate(List<Candidate> candidates, Consumer<Evaluation> done) {
        Deque<Pending> queue = new ArrayDeque<>();
        candidates.forEach(c -> queue.add(new Pending(c, 0, Set.of())));
        Map<Long, InFlight> inFlight = new HashMap<>();
        LinkedBlockingQueue<Outcome> outcomes = new LinkedBlockingQueue<>();
        long nextToken = 0;
        int remaining = candidates.size();
        while (remaining > 0) {
            // Fill free slots.
            Map<UUID, Integer> busy = new HashMap<>();
            inFlight.values().forEach(f -> busy.merge(f.member().getUuid(), 1, Integer::sum));
            for (Slotted w : accepted.values()) {
                int free = w.slots() - busy.getOrDefault(w.member().getUuid(), 0);
                for (int i = 0; i < free && !queue.isEmpty(); i++) {
                    Pending p = pickFor(queue, w.member().getUuid());
                    if (p == null) {
                        break;
                    }
                    long token = nextToken++;
                    Future<Evaluation> f = submit(w.member(), p, token, outcomes);
                    inFlight.put(token, new InFlight(token, p, w.member(), System.nanoTime(), f));
                }
            }
            Outcome o;
            try {
                o = outcomes.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for cluster results", e);
            }
            if (o != null) {
                InFlight f = inFlight.remove(o.token());
                if (f != null) { // null: a cancelled (timed-out) attempt finishing late
                    if (o.failure() == null) {
                        done.accept(o.evaluation());
                        remaining--;
                    } else if (memberGone(o.failure())) {
                        log.accept("worker " + f.member().getAddress() + " was lost; re-dispatching candidate "
                                + f.pending().candidate().index() + " of generation " + f.pending().candidate().generation());
                        queue.addFirst(f.pending());
                    } else {
                        done.accept(Evaluation.failed(f.pending().candidate(), "evaluation failed on " + f.member().getAddress()
                                + ": " + o.failure(), 0, secondsSince(f.startNanos()), f.member().getAddress().toString()));
                        remaining--;
                    }
                }
            }
            // Time-outs.
            long now = System.nanoTime();
            for (InFlight f : new ArrayList<>(inFlight.values())) {
                if (now - f.startNanos() > evalTimeout.toNanos()) {
                    inFlight.remove(f.token());
                    f.future().cancel(true);
                    Set<UUID> on = new HashSet<>(f.pending().timedOutOn());
                    on.add(f.member().getUuid());
                    int timeouts = f.pending().timeouts() + 1;
                    if (timeouts < maxTimeouts) {
                        log.accept("candidate " + f.pending().candidate().index() + " timed out on " + f.member().getAddress() + "; retrying elsewhere");
                        queue.addLast(new Pending(f.pending().candidate(), timeouts, on));
                    } else {
                        done.accept(Evaluation.failed(f.pending().candidate(), "evaluation timed out after "
                                + evalTimeout.toSeconds() + " s on " + timeouts + " attempt(s)", 0, secondsSince(f.startNanos()),
                                f.member().getAddress().toString()));
                        remaining--;
                    }
                }
            }
        }
    }

    /** The first queued candidate that has not timed out on this worker (or any, if every worker was tried). */
    private Pending pickFor(Deque<Pending> queue, UUID worker) {
        for (Pending p : queue) {
            if (!p.timedOutOn().contains(worker) || p.timedOutOn().containsAll(accepted.keySet())) {
                queue.remove(p);
                return p;
            }
        }
        return null;
    }

    private Future<Evaluation> submit(Member m, Pending p, long token, LinkedBlockingQueue<Outcome> outcomes) {
        var task = new ClusterTasks.Evaluate(spec, p.candidate());
        var future = new java.util.concurrent.CompletableFuture<Evaluation>();
        try {
            executor.submitToMember(task, m, new ExecutionCallback<Evaluation>() {
                @Override
                public void onResponse(Evaluation response) {
                    outcomes.add(new Outcome(token, response, null));
                    future.complete(response);
                }

                @Override
                public void onFailure(Throwable t) {
                    outcomes.add(new Outcome(token, null, t));
                    future.completeExceptionally(t);
                }
            });
        } catch (RuntimeException e) {
            outcomes.add(new Outcome(token, null, e));
        }
        return future;
    }

    private static boolean memberGone(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof MemberLeftException || c instanceof TargetNotMemberException
                    || c instanceof HazelcastInstanceNotActiveException) {
                return true;
            }
        }
        return false;
    }

    private static double secondsSince(long start) {
        return (System.nanoTime() - start) / 1e9;
    }

    @Override
    public void close() {
        hz.shutdown();
    }
}
