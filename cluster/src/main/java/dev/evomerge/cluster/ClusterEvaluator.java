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
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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

    /**
     * One candidate sent to one worker, with the queue of the {@code evaluate} call that waits for it. An abandoned
     * (timed-out) attempt no longer counts for its candidate but still occupies the worker's slot until it answers,
     * because the worker goes on evaluating it.
     */
    private record Attempt(Pending pending, Member member, long seq, long startNanos, BlockingQueue<Outcome> sink, boolean abandoned) {
        Attempt abandon() {
            return new Attempt(pending, member, seq, startNanos, sink, true);
        }
    }

    private record Outcome(Attempt attempt, SignedReply reply, Throwable failure) {
    }

    private final HazelcastInstance hz;
    private final RunSpec spec;
    private final Duration evalTimeout;
    private final int maxTimeouts;
    private final Consumer<String> log;
    private final ClusterSecret secret;
    /** Sequence numbers of this run's tasks: each task has its own, so a worker can refuse a replayed one. */
    private final AtomicLong seqs = new AtomicLong(1);
    private final AtomicLong discarded = new AtomicLong();
    private final Map<String, String> expected = new LinkedHashMap<>();
    private final Map<UUID, Slotted> accepted = new ConcurrentHashMap<>();
    private final Set<UUID> refused = ConcurrentHashMap.newKeySet();
    /** Members whose check has started: one joining while the constructor lists the members is seen twice. */
    private final Set<UUID> checked = ConcurrentHashMap.newKeySet();
    private final IExecutorService executor;
    private final IExecutorService control;
    private final Map<Long, Attempt> attempts = new ConcurrentHashMap<>();
    private final AtomicLong tokens = new AtomicLong();
    private final Object changed = new Object();

    /** Starts the coordinator member and accepts the workers that see the same inputs. */
    public ClusterEvaluator(ClusterOptions options, RunSpec spec, Duration evalTimeout, int maxTimeouts, Consumer<String> log) {
        this.spec = spec;
        this.evalTimeout = evalTimeout;
        this.maxTimeouts = maxTimeouts;
        this.log = log;
        this.secret = options.secret();
        for (String p : spec.inputPaths()) {
            expected.put(p, InputFingerprint.of(Path.of(p)));
        }
        Config config = options.toConfig("coordinator", Map.of(), Map.of());
        config.setLiteMember(true);
        this.hz = Hazelcast.newHazelcastInstance(config);
        this.executor = hz.getExecutorService(ClusterWorker.EXECUTOR);
        this.control = hz.getExecutorService(ClusterWorker.CONTROL);
        if (!secret.given()) {
            log.accept("no cluster secret given: any process on this machine can join as a worker (loopback only)");
        }
        hz.getCluster().addMembershipListener(new MembershipListener() {
            @Override
            public void memberAdded(MembershipEvent e) {
                membershipChanged = System.nanoTime();
                Thread.ofPlatform().start(() -> verify(e.getMember()));
            }

            @Override
            public void memberRemoved(MembershipEvent e) {
                membershipChanged = System.nanoTime();
                if (accepted.remove(e.getMember().getUuid()) != null) {
                    log.accept("worker " + e.getMember().getAddress() + " left the cluster");
                }
                lost(e.getMember());
                // A member that comes back (a healed network split) is checked again before it gets work.
                checked.remove(e.getMember().getUuid());
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

    /** Results discarded because their signature, run or sequence number was wrong (or the worker refused the task). */
    public long discardedResults() {
        return discarded.get();
    }

    /**
     * The challenge: this coordinator and the worker each prove the cluster secret on the other's fresh nonce (see
     * {@link WorkerGuard}). Returns whether the worker proved it; a worker that did not is named in one line.
     */
    private boolean challenge(Member m) throws Exception {
        UUID self = hz.getCluster().getLocalMember().getUuid();
        byte[] ours = ClusterSecret.nonce();
        SignedReply hello = control.submitToMember(SignedTask.unsigned(SignedTask.Kind.HELLO, spec.runId(),
                new Wire.Out().string(self.toString()).bytes(ours).toBytes()), m).get(60, TimeUnit.SECONDS);
        if (!SignedReply.Kind.HELLO.name().equals(hello.kind) || !spec.runId().equals(hello.runId)) {
            log.accept("worker " + m.getAddress() + " did not answer the cluster-secret challenge: it gets no work");
            return false;
        }
        Wire.In in = new Wire.In(hello.body);
        byte[] theirs = in.bytes();
        in.end();
        boolean proved = secret.verify(hello.mac, WorkerGuard.proofInput("worker-proof", spec.runId(), self, m.getUuid(), ours, theirs));
        // Our proof is sent even to a worker that failed, so that it, too, names the member whose secret differs.
        byte[] proof = secret.mac(WorkerGuard.proofInput("coordinator-proof", spec.runId(), self, m.getUuid(), ours, theirs));
        SignedReply answer = control.submitToMember(SignedTask.unsigned(SignedTask.Kind.PROVE, spec.runId(),
                new Wire.Out().bytes(theirs).bytes(proof).toBytes()), m).get(60, TimeUnit.SECONDS);
        if (!proved) {
            log.accept("worker " + m.getAddress() + " failed the cluster-secret challenge (its secret differs from this "
                    + "coordinator's): it gets no work");
            return false;
        }
        if (!SignedReply.Kind.PROVED.name().equals(answer.kind) || new Wire.In(answer.body).int64() != 1) {
            log.accept("worker " + m.getAddress() + " did not accept this coordinator's proof: it gets no work");
            return false;
        }
        return true;
    }

    /** How often a worker's check is tried before it is given up (a transient failure must not lose a worker). */
    private static final int CHECK_ATTEMPTS = 5;
    /** How long the member list must stay unchanged before a worker's first check, and the most that is waited. */
    private static final long STEADY_NANOS = 2_000_000_000L;
    private static final long STEADY_MAX_NANOS = 15_000_000_000L;
    /** When a member last joined or left (System.nanoTime); "long ago" at the start. */
    private volatile long membershipChanged = System.nanoTime() - STEADY_NANOS;

    /**
     * Waits until no member has joined or left for two seconds (at most fifteen). The first check of a worker is the
     * run's first message of its formats, and Hazelcast replicates a message format's schema to every member first:
     * while workers are still joining that replication waited for its operation timeout (60 s) and failed, in two CI
     * runs (a worker accepted only after a minute, past ClusterTimeoutTest's wait; a first check failed in ClusterIT).
     */
    private void awaitSteadyMembers() {
        long start = System.nanoTime();
        while (System.nanoTime() - membershipChanged < STEADY_NANOS && System.nanoTime() - start < STEADY_MAX_NANOS) {
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Checks a joining worker, trying again after a failure that is not the worker's answer: a task that cannot be sent
     * yet (Hazelcast replicates a message format's schema to every member before its first use and fails the send
     * while a member is still joining) must not leave a worker unchecked, and the run waiting for it, for good.
     */
    private void verify(Member m) {
        if (!"worker".equals(m.getAttribute(ClusterOptions.ROLE)) || !checked.add(m.getUuid())) {
            return; // two concurrent challenges of one worker would overwrite each other's nonce there
        }
        awaitSteadyMembers();
        for (int attempt = 1; ; attempt++) {
            try {
                check(m);
                break;
            } catch (Exception e) {
                boolean present = hz.getCluster().getMembers().contains(m);
                if (attempt == CHECK_ATTEMPTS || !present) {
                    log.accept("could not check worker " + m.getAddress() + ": " + reason(e) + (present ? "; it gets no work" : ""));
                    break;
                }
                log.accept("could not check worker " + m.getAddress() + " (attempt " + attempt + " of " + CHECK_ATTEMPTS
                        + "): " + reason(e) + "; trying again");
                try {
                    Thread.sleep(500L * attempt);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    break;
                }
            }
        }
        signal();
    }

    /**
     * A failure in words for the run's log: its message and its cause's, with package-qualified class names cut to
     * their simple names (Hazelcast puts its exception's full class name into the messages it wraps; a user reads
     * "OperationTimeoutException: ...", not the library's package).
     */
    static String reason(Throwable e) {
        String r = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        Throwable cause = e.getCause();
        String both = cause == null || cause.getMessage() == null || r.contains(cause.getMessage()) ? r
                : r + " (" + cause.getMessage() + ")";
        return QUALIFIED.matcher(both).replaceAll("$1");
    }

    /** A class name with its package: lower-case segments and dots, then the capitalised simple name. */
    private static final java.util.regex.Pattern QUALIFIED =
            java.util.regex.Pattern.compile("\\b(?:[a-z_][a-z0-9_]*\\.)+([A-Z][A-Za-z0-9_$]*)");

    /** The challenge and the input check of one worker; it is accepted, or refused with a line saying why. */
    private void check(Member m) throws Exception {
        if (!challenge(m)) {
            refused.add(m.getUuid());
            signal();
            return;
        }
        long seq = seqs.getAndIncrement();
        SignedReply r = control.submitToMember(SignedTask.signed(secret, SignedTask.Kind.FINGERPRINT, spec.runId(), seq,
                new Wire.Out().runSpec(spec).toBytes()), m).get(60, TimeUnit.SECONDS);
        if (!r.verified(secret, SignedReply.Kind.FINGERPRINT, spec.runId(), seq)) {
            discarded.incrementAndGet();
            refused.add(m.getUuid());
            log.accept("worker " + m.getAddress() + " answered the input check without a valid signature: it gets no work");
            signal();
            return;
        }
        Wire.In in = new Wire.In(r.body);
        Map<String, String> seen = in.strings();
        in.end();
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
            control.submitToMember(SignedTask.signed(secret, SignedTask.Kind.REFUSE, spec.runId(), seqs.getAndIncrement(),
                    new Wire.Out().string(reason).toBytes()), m);
        }
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
        LinkedBlockingQueue<Outcome> outcomes = new LinkedBlockingQueue<>();
        int remaining = candidates.size();
        boolean starved = false;
        while (remaining > 0) {
            dispatch(queue, outcomes);
            if (accepted.isEmpty() != starved) {
                starved = !starved;
                if (starved) {
                    log.accept("no worker left: " + remaining + " candidate(s) of this generation wait for a worker to join");
                }
            }
            Outcome o;
            try {
                // The timeout also paces the time-out checks and notices slots freed by abandoned attempts.
                o = outcomes.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for cluster results", e);
            }
            if (o != null) {
                Attempt a = o.attempt();
                if (o.failure() == null) {
                    Evaluation e = result(a, o.reply());
                    if (e == null) {
                        queue.addFirst(a.pending());
                    } else {
                        done.accept(e);
                        remaining--;
                    }
                } else if (memberGone(o.failure())) {
                    log.accept("worker " + a.member().getAddress() + " was lost; re-dispatching candidate "
                            + a.pending().candidate().index() + " of generation " + a.pending().candidate().generation());
                    queue.addFirst(a.pending());
                } else {
                    done.accept(Evaluation.failed(a.pending().candidate(), "evaluation failed on " + a.member().getAddress()
                            + ": " + reason(o.failure()), 0, secondsSince(a.startNanos()), a.member().getAddress().toString()));
                    remaining--;
                }
            }
            remaining -= expire(outcomes, queue, done);
        }
    }

    /**
     * The evaluation in a worker's reply, or null when the reply is discarded: not signed with the cluster secret, not
     * for this attempt's run and sequence number, or not about its candidate. A discarded reply is counted and logged;
     * its worker gets no more work and the candidate goes to another.
     */
    private Evaluation result(Attempt a, SignedReply r) {
        Candidate c = a.pending().candidate();
        String why;
        if (r == null) {
            why = "no reply";
        } else if (r.verified(secret, SignedReply.Kind.EVALUATION, spec.runId(), a.seq())) {
            try {
                Wire.In in = new Wire.In(r.body);
                Evaluation e = in.evaluation();
                in.end();
                if (e.candidate().generation() == c.generation() && e.candidate().index() == c.index()
                        && java.util.Arrays.equals(e.candidate().genes(), c.genes())) {
                    return e;
                }
                why = "a result for another candidate";
            } catch (Exception ex) {
                why = "a malformed result";
            }
        } else if (r.verified(secret, SignedReply.Kind.ERROR, spec.runId(), a.seq())) {
            String message;
            try {
                message = new Wire.In(r.body).string();
            } catch (Exception ex) {
                message = "(unreadable message)";
            }
            return Evaluation.failed(c, "evaluation failed on " + a.member().getAddress() + ": " + message, 0,
                    secondsSince(a.startNanos()), a.member().getAddress().toString());
        } else if (SignedReply.Kind.REFUSED.name().equals(r.kind)) {
            String reason;
            try {
                reason = new Wire.In(r.body).string();
            } catch (Exception ex) {
                reason = "(unreadable reason)";
            }
            why = "the worker refused the task (" + reason + ")";
        } else {
            why = "a wrong signature, run or sequence number";
        }
        long n = discarded.incrementAndGet();
        accepted.remove(a.member().getUuid());
        refused.add(a.member().getUuid());
        log.accept("discarded the result of worker " + a.member().getAddress() + " for candidate " + c.index() + " of generation "
                + c.generation() + ": " + why + " (" + n + " discarded so far); the candidate goes to another worker and this one "
                + "gets no more work");
        signal();
        return null;
    }

    /** Sends queued candidates to the free slots; a slot whose attempt was abandoned stays busy until it answers. */
    private void dispatch(Deque<Pending> queue, LinkedBlockingQueue<Outcome> outcomes) {
        Map<UUID, Integer> busy = new HashMap<>();
        attempts.values().forEach(a -> busy.merge(a.member().getUuid(), 1, Integer::sum));
        for (Slotted w : accepted.values()) {
            int free = w.slots() - busy.getOrDefault(w.member().getUuid(), 0);
            for (int i = 0; i < free && !queue.isEmpty(); i++) {
                Pending p = pickFor(queue, w.member().getUuid());
                if (p == null) {
                    break;
                }
                submit(w.member(), p, outcomes);
            }
        }
    }

    /**
     * Abandons this call's attempts that ran past the evaluation timeout: each is queued again for another worker, or
     * reported as failed after {@code maxTimeouts} time-outs. Returns how many candidates were reported.
     */
    private int expire(LinkedBlockingQueue<Outcome> outcomes, Deque<Pending> queue, Consumer<Evaluation> done) {
        int reported = 0;
        long now = System.nanoTime();
        for (Map.Entry<Long, Attempt> e : attempts.entrySet()) {
            Attempt a = e.getValue();
            if (a.sink() != outcomes || a.abandoned() || now - a.startNanos() <= evalTimeout.toNanos()) {
                continue;
            }
            if (!attempts.replace(e.getKey(), a, a.abandon())) {
                continue; // it answered meanwhile: its outcome is queued and counts
            }
            Set<UUID> on = new HashSet<>(a.pending().timedOutOn());
            on.add(a.member().getUuid());
            int timeouts = a.pending().timeouts() + 1;
            Candidate c = a.pending().candidate();
            if (timeouts < maxTimeouts) {
                log.accept("candidate " + c.index() + " of generation " + c.generation() + " timed out on "
                        + a.member().getAddress() + "; retrying elsewhere");
                queue.addLast(new Pending(c, timeouts, on));
            } else {
                log.accept("candidate " + c.index() + " of generation " + c.generation() + " timed out on "
                        + a.member().getAddress() + "; recorded as failed");
                done.accept(Evaluation.failed(c, "evaluation timed out after " + seconds(evalTimeout) + " s on " + timeouts
                        + " attempt(s)", 0, secondsSince(a.startNanos()), a.member().getAddress().toString()));
                reported++;
            }
        }
        return reported;
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

    private void submit(Member m, Pending p, LinkedBlockingQueue<Outcome> outcomes) {
        long token = tokens.getAndIncrement();
        long seq = seqs.getAndIncrement();
        attempts.put(token, new Attempt(p, m, seq, System.nanoTime(), outcomes, false));
        try {
            SignedTask task = SignedTask.signed(secret, SignedTask.Kind.EVALUATE, spec.runId(), seq,
                    new Wire.Out().runSpec(spec).candidate(p.candidate()).toBytes());
            executor.submitToMember(task, m, new ExecutionCallback<SignedReply>() {
                @Override
                public void onResponse(SignedReply response) {
                    answered(token, response, null);
                }

                @Override
                public void onFailure(Throwable t) {
                    answered(token, null, t);
                }
            });
        } catch (RuntimeException e) {
            answered(token, null, e);
        }
    }

    /**
     * Ends every attempt on a member that left: its abandoned ones will never answer, and its live ones go back to
     * their queues at once. Hazelcast also fails a live invocation when its target leaves, but the run must not depend
     * on that callback arriving: a candidate whose callback was lost would wait for the evaluation timeout (an hour by
     * default). Whichever of the two ends an attempt first removes it; the other finds nothing.
     */
    private void lost(Member member) {
        for (Long token : attempts.keySet()) {
            for (Attempt a = attempts.get(token); a != null && a.member().getUuid().equals(member.getUuid()); a = attempts.get(token)) {
                if (attempts.remove(token, a)) { // else it was abandoned or answered meanwhile: look again
                    if (!a.abandoned()) {
                        a.sink().add(new Outcome(a, null, new MemberLeftException(member)));
                    }
                    break;
                }
            }
        }
    }

    /** A worker's answer: it frees the slot; the candidate's result counts unless the attempt was abandoned. */
    private void answered(long token, SignedReply reply, Throwable failure) {
        Attempt a = attempts.remove(token);
        if (a != null && !a.abandoned()) {
            a.sink().add(new Outcome(a, reply, failure));
        }
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

    private static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? String.valueOf(d.toSeconds()) : String.format(Locale.ROOT, "%.1f", d.toMillis() / 1000.0);
    }

    private static double secondsSince(long start) {
        return (System.nanoTime() - start) / 1e9;
    }

    @Override
    public void close() {
        hz.shutdown();
    }
}
