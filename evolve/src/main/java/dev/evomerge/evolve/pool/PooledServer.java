package dev.evomerge.evolve.pool;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.eval.model.LanguageModel;
import dev.evomerge.eval.reload.ReloadOutcome;
import dev.evomerge.eval.reload.ReloadProtocol;
import dev.evomerge.eval.reload.ServerEndpoint;
import dev.evomerge.eval.model.LanguageModels;
import dev.evomerge.eval.model.LoglikelihoodQuery;
import dev.evomerge.eval.model.Progress;
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
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * One running inference server of the pool: one evaluation slot. Each candidate is reloaded into it, checked with a
 * probe (a fixed prompt's log-probability must change from the weights it served before: a server that answers a
 * reload but keeps its old weights is caught), then scored over OpenAI completions.
 */
final class PooledServer {

    /** The probe: short, plain ASCII, so that every tokenizer reads it. */
    static final LoglikelihoodQuery PROBE = new LoglikelihoodQuery("The quick brown fox jumps over the", " lazy dog");
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How long a server may take to answer a question about itself before it counts as not answering. */
    private static final Duration ASK_TIMEOUT = Duration.ofSeconds(10);
    /** How long one completions request may take (a large batch on a slow server). */
    private static final Duration REQUEST_TIMEOUT = Duration.ofMinutes(10);

    private final String root;
    private final ServerEndpoint endpoint;
    private final ReloadProtocol reload;
    /** Where candidates must be written for this server (vLLM reloads only its served directory), else empty. */
    private final Optional<Path> required;
    private final EvaluationSettings settings;
    private final TaskScorer scorer;
    private final Consumer<String> warnings;
    private final HttpClient http;
    /** The probe's value for the weights served now (null before the first probe). */
    private Double lastProbe;
    /** The recipe of the weights served now (null: the server's own model): the same recipe probes the same. */
    private String lastRecipe;

    PooledServer(ServerEndpoint endpoint, ReloadProtocol reload, Optional<Path> required, EvaluationSettings settings,
                 TaskScorer scorer, Consumer<String> warnings, HttpClient http) {
        this.endpoint = endpoint;
        this.root = endpoint == null ? "(none)" : endpoint.toString();
        this.reload = reload;
        this.required = required;
        this.settings = settings;
        this.scorer = scorer;
        this.warnings = warnings;
        this.http = http;
    }

    /** The server's URL, which names it in messages and as the worker of its evaluations. */
    String name() {
        return root;
    }

    /**
     * Probes the weights the server serves before its first candidate, so that a reload the server ignores shows as
     * an unchanged probe. {@code tokenizerDir} is a model with the pool's tokenizer (the run's resident model).
     */
    void start(Path tokenizerDir) {
        try (LanguageModel lm = open(tokenizerDir)) {
            lastProbe = probe(lm);
        } catch (ServerGoneException e) {
            throw e;
        } catch (RuntimeException e) {
            throw gone("did not answer the first probe: " + describe(e), e);
        }
    }

    /**
     * Loads, checks and scores one merged candidate on this server.
     *
     * @throws ServerGoneException when the server stopped answering or kept its previous weights: the candidate is
     *                             not to blame and goes to another server
     * @throws RuntimeException    when the candidate failed here (its weights were refused, a task failed)
     */
    Map<MetricKey, Double> evaluate(Path merged, String recipe) {
        try {
            Path served = required.isPresent() ? CandidatePlacement.moveInto(merged, required.get()) : merged;
            ReloadOutcome outcome = reload.reload(endpoint, served);
            switch (outcome.kind()) {
                case LOADED -> { }
                case REFUSED -> throw EvomergeException.runtime(outcome.message(), null);
                case SERVER_FAILED -> throw gone("failed to reload (" + outcome.message() + ")", null);
            }
            try (LanguageModel lm = open(served)) {
                double p = probe(lm);
                if (reload.reloads() && lastProbe != null && p == lastProbe && !recipe.equals(lastRecipe)) {
                    // the same log-probability to the last bit: the weights did not change
                    throw gone("answered the reload (" + reload.name() + ") but still serves its previous weights"
                            + " (the probe's log-probability stayed " + p + ")", null);
                }
                lastProbe = p;
                lastRecipe = recipe;
                return scorer.score(lm);
            }
        } catch (ServerGoneException e) {
            throw e;
        } catch (RuntimeException e) {
            if (!answers()) {
                throw gone("stopped answering (" + describe(e) + ")", e);
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

    private LanguageModel open(Path tokenizerDir) {
        return LanguageModels.openAiCompletions(tokenizerDir, root + "/v1", servedModel(), true, settings.batchSize(),
                Optional.empty(), REQUEST_TIMEOUT, warnings);
    }

    /** The model id requests must name (vLLM and SGLang serve a path, {@code evomerge serve} a directory's name). */
    private String servedModel() {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(root + "/v1/models")).timeout(ASK_TIMEOUT)
                    .build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw gone("answered /v1/models with HTTP " + r.statusCode(), null);
            }
            return JSON.readTree(r.body()).path("data").path(0).path("id").asText("model");
        } catch (IOException e) {
            throw gone("does not answer (" + e + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw EvomergeException.runtime("interrupted while asking " + root + " for its model", e);
        }
    }

    private static double probe(LanguageModel lm) {
        return lm.loglikelihood(List.of(PROBE), Progress.NONE).get(0).logprob();
    }

    private ServerGoneException gone(String what, Throwable cause) {
        return new ServerGoneException("the evaluation server " + root + " " + what, cause);
    }

    static String describe(RuntimeException e) {
        return e instanceof EvomergeException ? e.getMessage() : e.getClass().getSimpleName() + ": " + e.getMessage();
    }
}
