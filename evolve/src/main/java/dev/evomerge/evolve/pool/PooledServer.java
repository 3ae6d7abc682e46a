package dev.evomerge.evolve.pool;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.eval.model.LanguageModel;
import dev.evomerge.eval.model.LanguageModels;
import dev.evomerge.eval.reload.CandidateLoad;
import dev.evomerge.eval.reload.ProbeLogprobs;
import dev.evomerge.eval.reload.ReloadingServer;
import dev.evomerge.evolve.local.EvaluationSettings;
import dev.evomerge.evolve.local.TaskScorer;
import dev.evomerge.evolve.run.MetricKey;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * One running inference server of the pool: one evaluation slot. Each candidate is loaded into it and confirmed by
 * the reload probe ({@link ReloadingServer}: the in-JVM engine's logprobs of a fixed prompt up to 1B parameters, else
 * a change from the server's previous answer), then scored over OpenAI completions.
 */
final class PooledServer {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long a server may take to answer a question about itself before it counts as not answering. */
    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(10);
    /** How long one completions request may take (a large batch on a slow server). */
    private static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(10);

    private final ReloadingServer server;
    private final String root;
    /** Where candidates must be written for this server (vLLM reloads only its served directory), else empty. */
    private final Optional<Path> required;
    private final EvaluationSettings settings;
    private final TaskScorer scorer;
    private final Consumer<String> warnings;
    private final HttpClient http;

    PooledServer(ReloadingServer server, Optional<Path> required, EvaluationSettings settings, TaskScorer scorer,
                 Consumer<String> warnings, HttpClient http) {
        this.server = server;
        this.root = server == null ? "(none)" : server.endpoint().toString();
        this.required = required;
        this.settings = settings;
        this.scorer = scorer;
        this.warnings = warnings;
        this.http = http;
    }

    /** Whether candidates are reloaded into this server (and probed), i.e. its protocol is not {@code none}. */
    boolean reloads() {
        return server != null && server.protocol().reloads();
    }

    /** The server's URL, which names it in messages and as the worker of its evaluations. */
    String name() {
        return root;
    }

    /**
     * Loads, checks and scores one merged candidate on this server.
     *
     * @param reference the in-JVM probe of the candidate when the merger computed it; else the reload computes it
     *
     * @throws ServerGoneException when the server stopped answering or does not serve what it said it loaded: the
     *                             candidate is not to blame and goes to another server
     * @throws RuntimeException    when the candidate failed here (its weights were refused, a task failed)
     */
    Map<MetricKey, Double> evaluate(Path merged, Optional<ProbeLogprobs> reference) {
        try {
            Path served = required.isPresent() ? CandidatePlacement.moveInto(merged, required.get()) : merged;
            CandidateLoad load = server.load(served, reference);
            switch (load.status()) {
                case SERVING -> { }
                case REFUSED -> throw EvomergeException.runtime(load.message(), null);
                case NOT_SERVING_CANDIDATE, SERVER_FAILED -> throw new ServerGoneException(load.message(), null);
            }
            try (LanguageModel lm = LanguageModels.openAiCompletions(served, root + "/v1", servedModel(), true,
                    settings.batchSize(), Optional.empty(), REQUEST_TIMEOUT, warnings)) {
                return scorer.score(lm);
            }
        } catch (ServerGoneException e) {
            throw e;
        } catch (RuntimeException e) {
            if (!answers()) {
                throw new ServerGoneException("The server at " + root + " stopped answering: " + describe(e), e);
            }
            throw e;
        }
    }

    /** Whether the server answers its model list within a few seconds. */
    boolean answers() {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(root + "/v1/models")).timeout(ASK_TIMEOUT).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** The model id requests must name (vLLM and SGLang serve a path, {@code evomerge serve} a directory's name). */
    private String servedModel() {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(root + "/v1/models")).timeout(ASK_TIMEOUT)
                    .build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new ServerGoneException("The server at " + root + " answered /v1/models with HTTP "
                        + r.statusCode() + ".", null);
            }
            return JSON.readTree(r.body()).path("data").path(0).path("id").asText(server.modelId());
        } catch (IOException e) {
            throw new ServerGoneException("The server at " + root + " does not answer: " + e + ".", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw EvomergeException.runtime("interrupted while asking " + root + " for its model", e);
        }
    }

    static String describe(RuntimeException e) {
        return e instanceof EvomergeException ? e.getMessage() : e.getClass().getSimpleName() + ": " + e.getMessage();
    }
}
