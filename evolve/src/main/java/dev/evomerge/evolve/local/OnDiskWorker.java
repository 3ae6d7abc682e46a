package dev.evomerge.evolve.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.AtomicDirectory;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.eval.model.LanguageModel;
import dev.evomerge.eval.model.LanguageModels;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.MetricKey;
import dev.evomerge.merge.KeptMergeSession;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The on-disk slot ({@code --no-in-memory}): each merge is written under STORAGE/merged/, scored by the embedded engine
 * or by an inference server started for it ({@code --eval-server-cmd "… {model} … {port}"}), and deleted.
 */
final class OnDiskWorker implements CandidateWorker {

    /** A merged model on disk, waiting to be scored (the buffered strategy merges ahead). */
    record Merged(Candidate candidate, Path dir, double mergeSeconds, String error) {
    }

    /** A started evaluation server: its process, where its output goes, and the hook that stops it if we exit first. */
    private record Server(Process process, Path log, Thread exitHook) {
    }

    /** How long a server gets to stop on SIGTERM (closing its port, freeing accelerator memory) before SIGKILL. */
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);
    /** How long a server gets to answer /v1/models after it was started (large models load for minutes). */
    private static final Duration START_TIMEOUT = Duration.ofMinutes(10);
    /** The tail of a server's output quoted when it fails to start. */
    private static final int LOG_TAIL_CHARS = 2000;

    private final EvaluationSettings settings;
    private final String name;
    private final Consumer<String> warnings;
    private final TaskScorer scorer;
    /** The merge session kept across this slot's candidates (the inputs are opened and mapped once). */
    private final KeptMergeSession writer;
    /** Whether abandoned temporaries in the candidates' folder were removed (once, before the first merge). */
    private volatile boolean cleaned;

    OnDiskWorker(EvaluationSettings settings, String name, Consumer<String> warnings) {
        this.settings = settings;
        this.name = name;
        this.warnings = warnings;
        this.scorer = new TaskScorer(settings, warnings);
        this.writer = new KeptMergeSession(settings.mergeOptions());
    }

    @Override
    public Evaluation evaluate(Candidate c, Deadline deadline) {
        return score(merge(c), deadline);
    }

    Merged merge(Candidate c) {
        long t0 = System.nanoTime();
        Path dir = Path.of(settings.storage(), "merged", "candidate-" + c.generation() + "-" + c.index());
        try {
            Trees.delete(dir);
            Files.createDirectories(dir.getParent());
            if (!cleaned) {
                // candidates of a run killed with -9 (this one's, before --resume, or an earlier run's in this storage)
                for (Path stale : AtomicDirectory.removeAbandonedIn(dir.getParent())) {
                    warnings.accept("Removed " + stale + ", an unfinished candidate directory of a process that is"
                            + " gone.");
                }
                cleaned = true;
            }
            writer.write(c.config(), dir);
            return new Merged(c, dir, (System.nanoTime() - t0) / 1e9, null);
        } catch (RuntimeException | IOException e) {
            deleteQuietly(dir);
            return new Merged(c, dir, (System.nanoTime() - t0) / 1e9,
                    e instanceof RuntimeException r ? InMemoryWorker.describe(r) : e.toString());
        }
    }

    Evaluation score(Merged m, Deadline deadline) {
        if (m.error() != null) {
            return Evaluation.failed(m.candidate(), m.error(), m.mergeSeconds(), 0, name);
        }
        long t0 = System.nanoTime();
        Server[] server = {null};
        try {
            deadline.check();
            Map<MetricKey, Double> metrics;
            if (settings.backend() == EvaluationBackend.OPENAI_COMPLETIONS) {
                // Everything here waits on the server, so a stalled one is cut off by an interrupt at the deadline.
                metrics = deadline.interruptible(() -> {
                    int port = freePort();
                    server[0] = startServer(m.dir(), port);
                    String baseUrl = "http://127.0.0.1:" + port + "/v1";
                    String served = awaitServer(server[0], baseUrl);
                    try (LanguageModel lm = LanguageModels.openAiCompletions(m.dir(), baseUrl, served, true,
                            settings.batchSize(), Optional.empty(), Duration.ofMinutes(10), warnings)) {
                        return scorer.score(lm, deadline);
                    }
                });
            } else {
                try (LanguageModel lm = LanguageModels.embedded(m.dir(), LoadOptions.defaults().withThreads(settings.threads()),
                        true, settings.batchSize())) {
                    metrics = scorer.score(lm, deadline);
                }
            }
            return new Evaluation(m.candidate(), Double.NaN, metrics, null, m.mergeSeconds(), (System.nanoTime() - t0) / 1e9, name);
        } catch (RuntimeException e) {
            return Evaluation.failed(m.candidate(), InMemoryWorker.describe(e), m.mergeSeconds(), (System.nanoTime() - t0) / 1e9, name);
        } finally {
            if (server[0] != null) {
                stop(server[0]);
            }
            deleteQuietly(m.dir());
        }
    }

    private Server startServer(Path model, int port) {
        String cmd = settings.serverCommand().replace("{model}", model.toString()).replace("{port}", String.valueOf(port));
        Path log = null;
        try {
            log = Files.createTempFile("evomerge-eval-server", ".log");
            ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", cmd).redirectErrorStream(true).redirectOutput(log.toFile());
            // The cluster secret (cluster's ClusterSecret.ENV) is a worker's own: a server that prints its environment
            // would put it in the log whose tail becomes a candidate's error message.
            pb.environment().remove("EVOMERGE_CLUSTER_SECRET");
            Process p = pb.start();
            // Ctrl-C (or any normal exit) of this run while a server is up must not leave the server running.
            Thread hook = new Thread(() -> kill(p), "evomerge-eval-server-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            return new Server(p, log, hook);
        } catch (IOException e) {
            deleteLog(log);
            throw EvomergeException.runtime("Cannot start the evaluation server '" + cmd + "': " + e.getMessage(), e);
        }
    }

    /**
     * Waits until the server answers /v1/models and returns the first model id it serves (the name requests must
     * use: vLLM serves the path it was given, `evomerge serve` the directory's name).
     */
    private static String awaitServer(Server server, String baseUrl) {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            while (System.nanoTime() < deadline) {
                if (!server.process().isAlive()) {
                    throw EvomergeException.runtime("The evaluation server exited with status " + server.process().exitValue()
                            + " before answering at " + baseUrl + ". Its output ended with:\n" + tail(server.log()), null);
                }
                try {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/models"))
                            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
                    if (r.statusCode() == 200) {
                        JsonNode ids = new ObjectMapper().readTree(r.body()).path("data");
                        return ids.path(0).path("id").asText("model");
                    }
                } catch (IOException notYet) {
                    // still starting
                }
                Thread.sleep(250);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw EvomergeException.runtime("Interrupted while waiting for the evaluation server.", e);
        }
        throw EvomergeException.runtime("The evaluation server did not answer at " + baseUrl + " within "
                + START_TIMEOUT.toMinutes() + " minutes. Its output ended with:\n" + tail(server.log()), null);
    }

    /** The last characters of a server's output, for an error message. */
    private static String tail(Path log) {
        try {
            String s = Files.readString(log, StandardCharsets.UTF_8).strip();
            return s.length() <= LOG_TAIL_CHARS ? s : "…" + s.substring(s.length() - LOG_TAIL_CHARS);
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")";
        }
    }

    /**
     * Stops the server and everything it started, and waits until they are gone, so that the next candidate's server
     * finds the memory (and accelerator) free. The command runs under {@code sh -c}, which may keep the real server as
     * its child, so the whole tree is signalled: SIGTERM first (a clean shutdown), SIGKILL after the grace period.
     */
    private static void stop(Server server) {
        try {
            Runtime.getRuntime().removeShutdownHook(server.exitHook());
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or about to run and kills the server itself
        }
        kill(server.process());
        deleteLog(server.log());
    }

    private static void kill(Process process) {
        List<ProcessHandle> tree = new ArrayList<>(process.descendants().toList());
        tree.add(process.toHandle());
        tree.forEach(ProcessHandle::destroy);
        if (!awaitExit(tree, STOP_GRACE)) {
            tree.forEach(ProcessHandle::destroyForcibly);
            awaitExit(tree, STOP_GRACE);
        }
    }

    /** True if every process ended within the time allowed (shared among them). */
    private static boolean awaitExit(List<ProcessHandle> processes, Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        for (ProcessHandle h : processes) {
            try {
                h.onExit().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                return false;
            } catch (ExecutionException e) {
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    private static void deleteLog(Path log) {
        if (log == null) {
            return;
        }
        try {
            Files.deleteIfExists(log);
        } catch (IOException ignored) {
            // a stray log in the temporary folder is harmless
        }
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw EvomergeException.runtime("No free port for the evaluation server: " + e.getMessage(), e);
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            Trees.delete(dir);
        } catch (IOException ignored) {
            // a leftover merge under STORAGE/merged is harmless and is replaced by the next run
        }
    }

    @Override
    public TaskScorer scorer() {
        return scorer;
    }

    @Override
    public void close() {
        writer.reopenNote(name).ifPresent(warnings);
        writer.close();
    }
}
