package dev.evomerge.eval.reload;

import dev.evomerge.core.EvomergeException;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * One running inference server that candidates are loaded into, one after the other: the reload protocol, then the
 * probe that confirms the server serves the new weights. It remembers the server's last probe answer, so that a
 * candidate too large for the in-JVM probe is at least checked to change what the server answers. One candidate at a
 * time: {@link #load} is synchronized.
 */
public final class ReloadingServer {

    private final ServerEndpoint endpoint;
    private final ReloadProtocol protocol;
    private final String modelId;
    private final ProbeSettings settings;
    /** Computes the in-JVM probe of candidates small enough for it (may be shared with other servers). */
    private final InJvmProbe inJvm;
    private int[] probeTokens;
    private ProbeLogprobs lastServed;

    public ReloadingServer(ServerEndpoint endpoint, ReloadProtocol protocol, String modelId, ProbeSettings settings) {
        this(endpoint, protocol, modelId, settings, InJvmProbe.loadingEach());
    }

    /** A server whose in-JVM probes {@code inJvm} computes (a kept model shared by a pool's servers). */
    public ReloadingServer(ServerEndpoint endpoint, ReloadProtocol protocol, String modelId, ProbeSettings settings,
                           InJvmProbe inJvm) {
        this.inJvm = inJvm;
        this.endpoint = endpoint;
        this.protocol = protocol;
        this.modelId = modelId;
        this.settings = settings;
    }

    /**
     * Asks the server what it serves and picks its protocol: {@code reloadOption} when given (an
     * {@code --eval-server-reload} value), else the one its kind needs.
     *
     * @throws EvomergeException naming the server when it does not answer {@code /v1/models} or its kind is unknown
     *                           and no option was given
     */
    public static ReloadingServer connect(ServerEndpoint endpoint, Optional<String> reloadOption,
                                          ProbeSettings settings) {
        return connect(endpoint, reloadOption, settings, InJvmProbe.loadingEach());
    }

    /** {@link #connect(ServerEndpoint, Optional, ProbeSettings)} with the in-JVM probes computed by {@code inJvm}. */
    public static ReloadingServer connect(ServerEndpoint endpoint, Optional<String> reloadOption,
                                          ProbeSettings settings, InJvmProbe inJvm) {
        ServerInfo info = ServerInfo.query(endpoint);
        ReloadProtocol protocol = reloadOption.isPresent() ? ReloadProtocols.named(reloadOption.get())
                : ReloadProtocols.forKind(info.kind(), endpoint, info.evidence());
        return new ReloadingServer(endpoint, protocol, info.modelId(), settings, inJvm);
    }

    public ServerEndpoint endpoint() {
        return endpoint;
    }

    public ReloadProtocol protocol() {
        return protocol;
    }

    /** The served model's id: the {@code model} field of completions requests to this server. */
    public String modelId() {
        return modelId;
    }

    /** Where candidates for this server must be written, when the protocol fixes it (vLLM); else empty. */
    public Optional<Path> requiredModelDirectory() {
        return protocol.requiredModelDirectory(endpoint);
    }

    /**
     * The probe prompt's tokens for this server's candidates: from the first candidate's tokenizer.json, then kept
     * (the candidates of one run share their tokenizer). A caller that passes its own {@code expected} to
     * {@link #load(Path, Optional)} scores these tokens ({@link ReloadProbe#of}).
     */
    public synchronized int[] probeTokens(Path candidateDir) {
        if (probeTokens == null) {
            probeTokens = ReloadProbe.promptTokens(candidateDir);
        }
        return probeTokens.clone();
    }

    /** {@link #load(Path, Optional)} computing the in-JVM probe itself when the candidate is small enough. */
    public CandidateLoad load(Path candidateDir) {
        return load(candidateDir, Optional.empty());
    }

    /**
     * Asks the server to serve {@code candidateDir} and confirms it does.
     *
     * @param expected the in-JVM probe of the candidate when the caller already has it (e.g. from a resident merge);
     *                 else it is computed here when the candidate has at most
     *                 {@link ProbeSettings#inJvmMaxParameters()} parameters
     */
    public synchronized CandidateLoad load(Path candidateDir, Optional<ProbeLogprobs> expected) {
        if (!protocol.reloads()) {
            return new CandidateLoad(CandidateLoad.Status.SERVING, "The server at " + endpoint + " serves what its"
                    + " user loaded (--eval-server-reload none); not reloaded, not probed.", Duration.ZERO,
                    Duration.ZERO);
        }
        long probeNanos = 0;
        Optional<ProbeLogprobs> reference = expected;
        long t0 = System.nanoTime();
        try {
            probeTokens(candidateDir);
            if (reference.isPresent() && !Arrays.equals(reference.get().tokens(), probeTokens)) {
                reference = Optional.empty(); // another prompt's tokens: computed below for this server's prompt
            }
            if (reference.isEmpty()) {
                reference = inJvm.reference(candidateDir, probeTokens, settings);
            }
        } catch (EvomergeException e) { // the candidate's directory is not a loadable model
            return new CandidateLoad(CandidateLoad.Status.REFUSED, "The candidate " + candidateDir
                    + " cannot be probed for the server at " + endpoint + ": " + e.getMessage(), Duration.ZERO,
                    Duration.ofNanos(System.nanoTime() - t0));
        }
        try {
            if (reference.isEmpty() && lastServed == null) {
                // the first large candidate on this server: what it served before is the baseline
                lastServed = ReloadProbe.served(endpoint, modelId, probeTokens);
            }
        } catch (IOException e) {
            return failed("The server at " + endpoint + " did not answer the reload probe: "
                    + ServerHttp.describe(e) + ".", Duration.ZERO, System.nanoTime() - t0);
        } catch (EvomergeException e) {
            return failed(e.getMessage(), Duration.ZERO, System.nanoTime() - t0);
        }
        probeNanos += System.nanoTime() - t0;

        ReloadOutcome outcome = protocol.reload(endpoint, candidateDir);
        switch (outcome.kind()) {
            case REFUSED -> {
                return new CandidateLoad(CandidateLoad.Status.REFUSED, outcome.message(), outcome.took(),
                        Duration.ofNanos(probeNanos));
            }
            case SERVER_FAILED -> {
                return failed(outcome.message(), outcome.took(), probeNanos);
            }
            case LOADED -> { } // confirmed below
        }

        long t = System.nanoTime();
        ProbeLogprobs served;
        try {
            served = ReloadProbe.served(endpoint, modelId, probeTokens);
        } catch (IOException e) {
            return failed("The server at " + endpoint + " did not answer the reload probe after loading "
                    + candidateDir + ": " + ServerHttp.describe(e) + ".", outcome.took(), probeNanos);
        } catch (EvomergeException e) {
            return failed(e.getMessage(), outcome.took(), probeNanos + System.nanoTime() - t);
        }
        probeNanos += System.nanoTime() - t;
        ProbeLogprobs before = lastServed;
        lastServed = served;
        Optional<String> mismatch = mismatch(served, reference, Optional.ofNullable(before), candidateDir);
        Duration probe = Duration.ofNanos(probeNanos);
        return mismatch.isPresent()
                ? new CandidateLoad(CandidateLoad.Status.NOT_SERVING_CANDIDATE, mismatch.get(), outcome.took(), probe)
                : new CandidateLoad(CandidateLoad.Status.SERVING, outcome.message(), outcome.took(), probe);
    }

    /** Why the served probe shows another model than the candidate, or empty when it matches. */
    Optional<String> mismatch(ProbeLogprobs served, Optional<ProbeLogprobs> expected, Optional<ProbeLogprobs> before,
                              Path candidateDir) {
        if (expected.isPresent()) {
            double d = served.meanAbsDifference(expected.get());
            if (d <= settings.maxMeanAbsDifference()) {
                return Optional.empty();
            }
            String previous = before.map(b -> String.format(Locale.ROOT, "; they differ from its previous answers"
                    + " by %.3g", served.meanAbsDifference(b))).orElse("");
            return Optional.of(String.format(Locale.ROOT, "The server at %s said it loaded %s but does not serve it:"
                            + " its probe logprobs differ from the in-JVM engine's for the candidate by %.3g nats per"
                            + " token on average (at most %.3g allowed)%s.", endpoint, candidateDir, d,
                    settings.maxMeanAbsDifference(), previous));
        }
        if (before.isEmpty()) {
            return Optional.empty();
        }
        double change = served.meanAbsDifference(before.get());
        if (change >= settings.minMeanAbsChange()) {
            return Optional.empty();
        }
        return Optional.of(String.format(Locale.ROOT, "The server at %s said it loaded %s but answers the probe as"
                        + " before the reload (its logprobs changed by %.3g nats per token on average, less than"
                        + " %.3g): it still serves the previous weights.", endpoint, candidateDir, change,
                settings.minMeanAbsChange()));
    }

    private static CandidateLoad failed(String message, Duration reload, long probeNanos) {
        return new CandidateLoad(CandidateLoad.Status.SERVER_FAILED, message, reload, Duration.ofNanos(probeNanos));
    }

    @Override
    public String toString() {
        return endpoint + " (" + protocol.name() + ")";
    }
}
