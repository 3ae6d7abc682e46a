package dev.evomerge.evolve.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.eval.model.LanguageModel;
import dev.evomerge.eval.model.LanguageModels;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.merge.MergeReporter;
import dev.evomerge.merge.MergeSession;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.MergeConfigReader;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * The on-disk slot ({@code --no-in-memory}): each merge is written under STORAGE/merged/, scored by the embedded engine
 * or by an inference server started for it ({@code --eval-server-cmd "… {model} … {port}"}), and deleted.
 */
final class OnDiskWorker implements CandidateWorker {

    /** A merged model on disk, waiting to be scored (the buffered strategy merges ahead). */
    record Merged(Candidate candidate, Path dir, double mergeSeconds, String error) {
    }

    private final EvaluationSettings settings;
    private final String name;
    private final Consumer<String> warnings;
    private final TaskScorer scorer;

    OnDiskWorker(EvaluationSettings settings, String name, Consumer<String> warnings) {
        this.settings = settings;
        this.name = name;
        this.warnings = warnings;
        this.scorer = new TaskScorer(settings, warnings);
    }

    @Override
    public Evaluation evaluate(Candidate c) {
        return score(merge(c));
    }

    Merged merge(Candidate c) {
        long t0 = System.nanoTime();
        Path dir = Path.of(settings.storage(), "merged", "candidate-" + c.generation() + "-" + c.index());
        try {
            deleteTree(dir);
            Files.createDirectories(dir.getParent());
            MergeConfig cfg = MergeConfigReader.parse(c.mergeYaml(), "candidate " + c.generation() + "/" + c.index(), warnings);
            try (MergeSession s = MergeSession.open(cfg, InMemoryWorker.mergeOptions(settings).withTaskVectorCacheBytes(0),
                    MergeReporter.silent())) {
                s.writeModel(dir);
            }
            return new Merged(c, dir, (System.nanoTime() - t0) / 1e9, null);
        } catch (RuntimeException | IOException e) {
            deleteQuietly(dir);
            return new Merged(c, dir, (System.nanoTime() - t0) / 1e9,
                    e instanceof RuntimeException r ? InMemoryWorker.describe(r) : e.toString());
        }
    }

    Evaluation score(Merged m) {
        if (m.error() != null) {
            return Evaluation.failed(m.candidate(), m.error(), m.mergeSeconds(), 0, name);
        }
        long t0 = System.nanoTime();
        Process server = null;
        try {
            LanguageModel lm;
            if ("openai-completions".equals(settings.backend())) {
                int port = freePort();
                server = startServer(m.dir(), port);
                String baseUrl = "http://127.0.0.1:" + port + "/v1";
                String served = awaitServer(server, baseUrl);
                lm = LanguageModels.openAiCompletions(m.dir(), baseUrl, served, true, settings.batchSize(), Optional.empty(),
                        Duration.ofMinutes(10));
            } else {
                lm = LanguageModels.embedded(m.dir(), LoadOptions.defaults().withThreads(settings.threads()), true, settings.batchSize());
            }
            try (lm) {
                Map<String, Double> metrics = scorer.score(lm);
                return new Evaluation(m.candidate(), Double.NaN, metrics, null, m.mergeSeconds(), (System.nanoTime() - t0) / 1e9, name);
            }
        } catch (RuntimeException e) {
            return Evaluation.failed(m.candidate(), InMemoryWorker.describe(e), m.mergeSeconds(), (System.nanoTime() - t0) / 1e9, name);
        } finally {
            if (server != null) {
                server.descendants().forEach(ProcessHandle::destroyForcibly);
                server.destroyForcibly();
            }
            deleteQuietly(m.dir());
        }
    }

    private Process startServer(Path model, int port) {
        String cmd = settings.serverCommand().replace("{model}", model.toString()).replace("{port}", String.valueOf(port));
        try {
            Path log = Files.createTempFile("evomerge-eval-server", ".log");
            return new ProcessBuilder("/bin/sh", "-c", cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        } catch (IOException e) {
            throw EvomergeException.runtime("Cannot start the evaluation server '" + cmd + "': " + e.getMessage(), e);
        }
    }

    /** Waits until the server answers /v1/models and returns the first model id it serves. */
    private static String awaitServer(Process server, String baseUrl) {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
        while (System.nanoTime() < deadline) {
            if (!server.isAlive()) {
                throw EvomergeException.runtime("The evaluation server exited with status " + server.exitValue()
                        + " before answering at " + baseUrl + ".", null);
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
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw EvomergeException.runtime("Interrupted while waiting for the evaluation server.", e);
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw EvomergeException.runtime("Interrupted while waiting for the evaluation server.", e);
            }
        }
        throw EvomergeException.runtime("The evaluation server did not answer at " + baseUrl + " within 10 minutes.", null);
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw EvomergeException.runtime("No free port for the evaluation server: " + e.getMessage(), e);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        Trees.delete(dir);
    }

    private static void deleteQuietly(Path dir) {
        try {
            deleteTree(dir);
        } catch (IOException ignored) {
            // a leftover merge under STORAGE/merged is harmless and is replaced by the next run
        }
    }

    @Override
    public void close() {
    }
}
