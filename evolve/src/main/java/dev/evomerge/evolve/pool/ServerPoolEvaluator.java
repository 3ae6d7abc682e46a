package dev.evomerge.evolve.pool;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.evolve.local.EvaluationSettings;
import dev.evomerge.evolve.local.TaskScorer;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.MetricKey;
import dev.evomerge.merge.KeptMergeSession;

import dev.evomerge.eval.reload.InJvmProbe;
import dev.evomerge.eval.reload.ProbeLogprobs;
import dev.evomerge.eval.reload.ReloadProbe;
import dev.evomerge.eval.reload.ProbeSettings;
import dev.evomerge.eval.reload.ReloadingServer;
import dev.evomerge.eval.reload.ServerEndpoint;

import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;

/**
 * Candidates evaluated by inference servers that are already running ({@code --eval-server URL}, repeatable). Each
 * server is one slot: a candidate is merged into the scratch folder, the next free server is asked to load it, a probe
 * checks that it did, the run's tasks are scored over OpenAI completions, and the merge is deleted. One candidate is
 * merged ahead while the servers are busy, so merging overlaps evaluating. The merger keeps one merge session while
 * candidates keep their layout ({@link KeptMergeSession}) and, for candidates of up to 1B parameters, computes
 * the probe's in-JVM reference right after the merge on one kept model ({@link InJvmProbe}), so that it too overlaps
 * the evaluation before; the candidate's merge time includes it.
 *
 * <p>A server that stops answering (or keeps its old weights after a reload) is taken out of the pool with one line
 * to {@code warnings}, and its candidate goes to another server; once no server is left, the remaining candidates are
 * recorded as failed with a sentence saying so. A server that answers a reload with a refusal keeps its place: the
 * candidate fails with the server's reason. Thread-safe: a cluster worker's slots share one pool.
 */
public final class ServerPoolEvaluator implements CandidateEvaluator {

    /**
     * A merged candidate (with the in-JVM probe the server's must match, when the merger computed it), or the
     * reason it could not be merged.
     */
    private record Merged(Candidate candidate, Path dir, double mergeSeconds, String error, boolean ahead,
                          Optional<ProbeLogprobs> reference) {

        Merged(Candidate candidate, Path dir, double mergeSeconds, String error, boolean ahead) {
            this(candidate, dir, mergeSeconds, error, ahead, Optional.empty());
        }
    }

    /** Handed out in place of a server once none is left. */
    private static final PooledServer NONE_LEFT = new PooledServer(null, Optional.empty(), null, null, s -> { }, null);
    /** Put into a call's queue once every candidate of the call is reported. */
    private static final Merged END = new Merged(null, null, 0, null, false);

    private final EvaluationSettings settings;
    private final ServerPoolOptions options;
    private final Consumer<String> warnings;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final LinkedBlockingDeque<PooledServer> free = new LinkedBlockingDeque<>();
    private final List<PooledServer> live = new ArrayList<>();
    /** The last reason a server left the pool, quoted when no server is left. */
    private volatile String lastLoss;
    private ScratchSpace scratch;
    /** The merge session kept across candidates: the input models are opened and mapped once per pool. */
    private final KeptMergeSession writer;
    /** The reference probe of candidates up to 1B parameters, on one model kept for the pool's servers. */
    private final InJvmProbe inJvmProbe = InJvmProbe.kept();
    private int[] probeTokens;
    private boolean started;
    private boolean closed;

    public ServerPoolEvaluator(EvaluationSettings settings, ServerPoolOptions options, Consumer<String> warnings) {
        options.check();
        if (!options.enabled()) {
            throw EvomergeException.usage("the server pool needs at least one --eval-server URL.");
        }
        this.settings = settings;
        this.options = options;
        this.warnings = warnings;
        this.writer = new KeptMergeSession(settings.mergeOptions());
    }

    /** The servers still in the pool (their URLs). */
    public synchronized List<String> servers() {
        return live.stream().map(PooledServer::name).toList();
    }

    /** The scratch folder candidates are merged into (null before the first candidate). */
    public synchronized Path scratchDir() {
        return scratch == null ? null : scratch.root();
    }

    /** On first use: the scratch folder, and each server probed once (one that does not answer is left out). */
    private synchronized void start() {
        if (started) {
            return;
        }
        if (closed) {
            throw new IllegalStateException("the server pool is closed");
        }
        int n = options.servers().size();
        scratch = ScratchSpace.open(options.scratchDir(), Path.of(settings.storage()),
                ScratchSpace.largestModel(settings.modelPaths()), n + 2, warnings);
        for (ServerEndpoint endpoint : options.endpoints()) {
            try {
                // a server that cannot say which protocol it speaks is a usage error (the option names it)
                ReloadingServer rs = ReloadingServer.connect(endpoint, options.reloadOption(), ProbeSettings.defaults(),
                        inJvmProbe);
                PooledServer s = new PooledServer(rs, rs.requiredModelDirectory(), settings,
                        new TaskScorer(settings, warnings), warnings, http);
                live.add(s);
                free.add(s);
            } catch (EvomergeException e) {
                if (e.kind() == EvomergeException.Kind.USAGE) {
                    throw e;
                }
                leftOut(endpoint, e.getMessage()); // it did not answer what it serves
            }
        }
        if (live.isEmpty()) {
            free.add(NONE_LEFT);
        }
        started = true;
    }

    private void leftOut(ServerEndpoint endpoint, String reason) {
        lastLoss = reason;
        warnings.accept("evaluation server " + endpoint + " left out of the pool: " + reason);
    }

    @Override
    public void evaluate(List<Candidate> candidates, Consumer<Evaluation> done) {
        if (candidates.isEmpty()) {
            return;
        }
        start();
        CountDownLatch remaining = new CountDownLatch(candidates.size());
        // merged candidates waiting for a server; a candidate whose server was lost goes back to the front, and the
        // end marker once every candidate is reported
        LinkedBlockingDeque<Merged> ready = new LinkedBlockingDeque<>();
        Consumer<Evaluation> report = e -> {
            synchronized (this) {
                done.accept(e);
            }
            remaining.countDown();
            if (remaining.getCount() == 0) {
                ready.addFirst(END);
            }
        };
        Semaphore ahead = new Semaphore(1);
        Thread merger = Thread.ofPlatform().name("evomerge-pool-merger").start(() -> {
            try {
                for (Candidate c : candidates) {
                    ahead.acquire(); // one merge ahead of the servers, so merged copies stay few
                    ready.putLast(noServerLeft() ? unmerged(c) : merge(c));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        List<Thread> running = new ArrayList<>();
        try {
            for (Merged m; (m = ready.takeFirst()) != END; ) {
                if (m.ahead()) {
                    ahead.release();
                }
                if (m.error() != null) {
                    report.accept(finish(m, m.error(), 0, "server-pool"));
                    continue;
                }
                PooledServer server = free.takeFirst();
                if (server == NONE_LEFT) {
                    free.putFirst(server); // for every later candidate, and other callers
                    report.accept(finish(m, noServerError(), 0, "server-pool"));
                    continue;
                }
                Merged item = m;
                running.add(Thread.ofPlatform().name("evomerge-pool-" + server.name()).start(
                        () -> runOn(server, item, report, ready)));
            }
            merger.join();
            for (Thread t : running) {
                t.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            merger.interrupt();
            throw EvomergeException.runtime("Interrupted while evaluating candidates on the server pool.", e);
        }
    }

    /** Evaluates one merged candidate on one server; a lost server sends the candidate back for another. */
    private void runOn(PooledServer server, Merged m, Consumer<Evaluation> report, LinkedBlockingDeque<Merged> ready) {
        long t0 = System.nanoTime();
        try {
            Map<MetricKey, Double> metrics = server.evaluate(m.dir(), m.reference());
            free.addLast(server);
            report.accept(new Evaluation(m.candidate(), Double.NaN, metrics, null, m.mergeSeconds(),
                    (System.nanoTime() - t0) / 1e9, server.name()));
            scratch.delete(m.dir());
        } catch (ServerGoneException e) {
            int left = remove(server, e.getMessage());
            Candidate c = m.candidate();
            warnings.accept("evaluation server " + server.name() + " taken out of the pool (" + left + " server(s) left),"
                    + " candidate " + c.generation() + "/" + c.index() + (left > 0 ? " goes to another server: "
                    : " is recorded as failed: ") + e.getMessage());
            if (left > 0) {
                ready.addFirst(new Merged(c, m.dir(), m.mergeSeconds(), null, false, m.reference()));
            } else {
                report.accept(finish(m, noServerError(), (System.nanoTime() - t0) / 1e9, server.name()));
            }
        } catch (RuntimeException e) {
            free.addLast(server);
            report.accept(finish(m, PooledServer.describe(e), (System.nanoTime() - t0) / 1e9, server.name()));
        }
    }

    /** Takes a server out of the pool; returns how many are left (and hands out NONE_LEFT when none is). */
    private synchronized int remove(PooledServer server, String reason) {
        live.remove(server);
        lastLoss = reason;
        if (live.isEmpty()) {
            free.addFirst(NONE_LEFT);
        }
        return live.size();
    }

    private synchronized boolean noServerLeft() {
        return live.isEmpty();
    }

    private String noServerError() {
        return "no evaluation server is left in the pool (the last one was lost: " + lastLoss + ")";
    }

    /** A failed evaluation, its merge deleted. */
    private Evaluation finish(Merged m, String error, double evalSeconds, String worker) {
        if (m.dir() != null) {
            scratch.delete(m.dir());
        }
        return Evaluation.failed(m.candidate(), error, m.mergeSeconds(), evalSeconds, worker);
    }

    private Merged merge(Candidate c) {
        long t0 = System.nanoTime();
        Path dir = scratch.dirOf(c);
        try {
            scratch.delete(dir);
            Files.createDirectories(dir.getParent());
            writer.write(c.config(), dir);
            // computed here, the reference overlaps the evaluation of the candidate before, as the merge does
            Optional<ProbeLogprobs> reference = referenceOf(dir);
            return new Merged(c, dir, (System.nanoTime() - t0) / 1e9, null, true, reference);
        } catch (RuntimeException | java.io.IOException e) {
            scratch.delete(dir);
            return new Merged(c, null, (System.nanoTime() - t0) / 1e9, e instanceof RuntimeException r
                    ? PooledServer.describe(r) : e.toString(), true);
        }
    }

    /**
     * The in-JVM probe of a merged candidate, what a reloaded server must answer ({@link ReloadingServer#load}), when
     * the candidate is small enough for it and some server reloads; empty otherwise, or when the candidate cannot be
     * probed (the server's load then says why, as it did before the merger computed references).
     */
    private Optional<ProbeLogprobs> referenceOf(Path dir) {
        if (!anyServerReloads()) {
            return Optional.empty();
        }
        try {
            return inJvmProbe.reference(dir, probeTokens(dir), ProbeSettings.defaults());
        } catch (EvomergeException e) {
            return Optional.empty();
        }
    }

    /** The probe prompt's tokens, from the first merged candidate's tokenizer (a run's candidates share it). */
    private synchronized int[] probeTokens(Path dir) {
        if (probeTokens == null) {
            probeTokens = ReloadProbe.promptTokens(dir);
        }
        return probeTokens;
    }

    private synchronized boolean anyServerReloads() {
        return live.stream().anyMatch(PooledServer::reloads);
    }

    private static Merged unmerged(Candidate c) {
        return new Merged(c, null, 0, null, true);
    }

    @Override
    public synchronized void close() {
        closed = true;
        writer.reopenNote("the server pool").ifPresent(warnings);
        writer.close();
        if (inJvmProbe.loads() > 1) {
            warnings.accept("The in-JVM reload probe loaded a model from disk " + inJvmProbe.loads() + " times, for"
                    + " candidates whose config.json or tensors differed from the previous candidate's.");
        }
        inJvmProbe.close();
        if (scratch != null) {
            scratch.close();
        }
        http.close();
    }
}
