package dev.evomerge.eval.reload;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.safetensors.SafetensorsModel;
import dev.evomerge.core.safetensors.SafetensorsWriter;
import dev.evomerge.core.tensor.TensorInfo;
import dev.evomerge.core.synth.FineTuneSynthesizer;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.server.OpenAiServer;
import dev.evomerge.server.ReloadIgnoringWeightUpdates;
import dev.evomerge.server.ServedModel;
import dev.evomerge.server.ServerOptions;
import dev.evomerge.server.WeightUpdates;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Reloads and probes against real {@code evomerge serve} servers (OpenAiServer on 127.0.0.1) over real safetensors
 * models: a tiny synthetic Llama and a fine-tune of it. The served logprobs are compared with the in-JVM engine's
 * loading the same directory, within 1e-4 nats per token (float sums reduced in another order; the two models differ
 * by far more, checked below).
 */
class ReloadingServerTest {

    private static final double TOLERANCE = 1e-4;

    @TempDir
    static Path tmp;
    static Path base;
    static Path fineTune;
    static Path wider;
    static int[] tokens;

    @BeforeAll
    static void models() {
        base = tmp.resolve("base");
        fineTune = tmp.resolve("fine-tune");
        wider = tmp.resolve("wider");
        ModelSynthesizer.write(SynthModelSpec.defaults(), base);
        FineTuneSynthesizer.write(base, fineTune, 7, 1.0);
        ModelSynthesizer.write(SynthModelSpec.defaults().withWidth(128, 4, 2, 176), wider);
        tokens = ReloadProbe.promptTokens(base);
        assertThat(ReloadProbe.inJvm(base, tokens).meanAbsDifference(ReloadProbe.inJvm(fineTune, tokens)))
                .as("the probe tells the two models apart").isGreaterThan(100 * TOLERANCE);
    }

    static ServedModel serve(Path dir) {
        return ServedModel.load(dir, "synth", LoadOptions.defaults().withThreads(1));
    }

    static ServerEndpoint endpoint(OpenAiServer server) {
        return ServerEndpoint.parse(server.baseUrl() + "/v1/", "--eval-server", Optional.empty());
    }

    @Test
    void anEvomergeServerIsDetectedAndServesEachCandidateItIsGiven() throws Exception {
        try (ServedModel served = serve(base); OpenAiServer server = OpenAiServer.start(served,
                ServerOptions.localDefaults())) {
            ServerEndpoint endpoint = endpoint(server);
            ServerInfo info = ServerInfo.query(endpoint);
            assertThat(info.kind()).isEqualTo(ServerKind.EVOMERGE);
            assertThat(info.modelId()).isEqualTo("synth");
            assertThat(info.modelPath()).contains(base.toAbsolutePath().normalize());

            ReloadingServer reloading = ReloadingServer.connect(endpoint, Optional.empty(), ProbeSettings.defaults());
            assertThat(reloading.protocol().name()).isEqualTo("evomerge");
            assertThat(reloading.requiredModelDirectory()).isEmpty();

            CandidateLoad load = reloading.load(fineTune);
            assertThat(load.status()).as(load.message()).isEqualTo(CandidateLoad.Status.SERVING);
            assertThat(load.message()).startsWith("The server at " + endpoint + " loaded " + fineTune
                    + ": Loaded 39 tensors");
            assertThat(ReloadProbe.served(endpoint, "synth", tokens).meanAbsDifference(
                    ReloadProbe.inJvm(fineTune, tokens))).isLessThanOrEqualTo(TOLERANCE);

            CandidateLoad back = reloading.load(base);
            assertThat(back.status()).as(back.message()).isEqualTo(CandidateLoad.Status.SERVING);
            assertThat(ReloadProbe.served(endpoint, "synth", tokens).meanAbsDifference(
                    ReloadProbe.inJvm(base, tokens))).isLessThanOrEqualTo(TOLERANCE);
        }
    }

    @Test
    void aRefusedReloadFailsTheCandidateAndTheServerKeepsItsWeights() throws Exception {
        try (ServedModel served = serve(base); OpenAiServer server = OpenAiServer.start(served,
                ServerOptions.localDefaults())) {
            ServerEndpoint endpoint = endpoint(server);
            ReloadingServer reloading = ReloadingServer.connect(endpoint, Optional.of("sglang"),
                    ProbeSettings.defaults());
            CandidateLoad load = reloading.load(wider);
            assertThat(load.status()).isEqualTo(CandidateLoad.Status.REFUSED);
            assertThat(load.message()).isEqualTo("The server at " + endpoint + " refused to load " + wider
                    + " and keeps its previous weights: Model " + wider + " does not fit the served model:"
                    + " config.json has hidden_size 128 where the served model has 64, config.json has head_dim 32"
                    + " where the served model has 16.");
            assertThat(ReloadProbe.served(endpoint, "synth", tokens).meanAbsDifference(
                    ReloadProbe.inJvm(base, tokens))).isLessThanOrEqualTo(TOLERANCE);

            ReloadOutcome missing = ReloadProtocols.sglang().reload(endpoint, tmp.resolve("nowhere"));
            assertThat(missing.kind()).isEqualTo(ReloadOutcome.Kind.REFUSED);
            assertThat(missing.message()).endsWith("does not exist.");
        }
    }

    @Test
    void theProbeCatchesAServerThatIgnoresTheReload() {
        try (ServedModel served = serve(base); OpenAiServer server = OpenAiServer.start(served,
                ServerOptions.localDefaults(), new ReloadIgnoringWeightUpdates())) {
            ServerEndpoint endpoint = endpoint(server);
            // small model: compared with the in-JVM engine's probe of the candidate
            CandidateLoad load = ReloadingServer.connect(endpoint, Optional.empty(), ProbeSettings.defaults())
                    .load(fineTune);
            assertThat(load.status()).isEqualTo(CandidateLoad.Status.NOT_SERVING_CANDIDATE);
            assertThat(load.message()).startsWith("The server at " + endpoint + " said it loaded " + fineTune
                    + " but does not serve it: its probe logprobs differ from the in-JVM engine's for the candidate"
                    + " by ").contains("nats per token on average (at most 0.100 allowed)");

            // the caller's own answer for the candidate (here from a model it holds in memory) is used as given
            ReloadingServer withExpected = ReloadingServer.connect(endpoint, Optional.empty(),
                    ProbeSettings.defaults().withInJvmMaxParameters(0));
            ProbeLogprobs expected;
            try (var resident = dev.evomerge.engine.load.ModelLoader.load(fineTune)) {
                expected = ReloadProbe.of(resident, withExpected.probeTokens(fineTune));
            }
            CandidateLoad caught = withExpected.load(fineTune, Optional.of(expected));
            assertThat(caught.status()).isEqualTo(CandidateLoad.Status.NOT_SERVING_CANDIDATE);
            assertThat(caught.message()).contains("differ from the in-JVM engine's for the candidate");

            // as for a model above the in-JVM limit: compared with what the server answered before the reload
            ReloadingServer large = ReloadingServer.connect(endpoint, Optional.empty(),
                    ProbeSettings.defaults().withInJvmMaxParameters(0));
            CandidateLoad unchanged = large.load(fineTune);
            assertThat(unchanged.status()).isEqualTo(CandidateLoad.Status.NOT_SERVING_CANDIDATE);
            // the change is float noise (the same weights scored by code at another stage of JIT compilation)
            assertThat(unchanged.message()).startsWith("The server at " + endpoint + " said it loaded " + fineTune
                    + " but answers the probe as before the reload (its logprobs changed by ")
                    .endsWith(" nats per token on average, less than 0.000100): it still serves the previous weights.");
        }
    }

    @Test
    void aKeptInJvmProbeSharedByServersChecksEachCandidateAndAReferenceOfAnotherPromptIsNotUsed() {
        try (ServedModel served = serve(base); OpenAiServer server = OpenAiServer.start(served,
                ServerOptions.localDefaults()); ServedModel stale = serve(base); OpenAiServer ignoring =
                OpenAiServer.start(stale, ServerOptions.localDefaults(), new ReloadIgnoringWeightUpdates());
             InJvmProbe kept = InJvmProbe.kept()) {
            ReloadingServer good = ReloadingServer.connect(endpoint(server), Optional.empty(), ProbeSettings.defaults(),
                    kept);
            ReloadingServer bad = ReloadingServer.connect(endpoint(ignoring), Optional.empty(),
                    ProbeSettings.defaults(), kept);
            assertThat(good.load(fineTune).status()).isEqualTo(CandidateLoad.Status.SERVING);
            assertThat(good.load(base).status()).isEqualTo(CandidateLoad.Status.SERVING);
            // the kept model now holds base's weights, the ignoring server serves base: the probe of fineTune differs
            assertThat(bad.load(fineTune).status()).isEqualTo(CandidateLoad.Status.NOT_SERVING_CANDIDATE);
            assertThat(kept.loads()).as("one load, then the weights written in place").isEqualTo(1);

            // a reference of other tokens (a caller's other prompt) cannot be compared: the server's own is computed
            int[] other = java.util.Arrays.copyOf(tokens, tokens.length - 1);
            ProbeLogprobs otherPrompt = new ProbeLogprobs(other, new double[other.length - 1]);
            CandidateLoad load = good.load(fineTune, Optional.of(otherPrompt));
            assertThat(load.status()).as(load.message()).isEqualTo(CandidateLoad.Status.SERVING);
        }
    }

    /** {@code base}'s weights with layer {@code layer}'s tensors taken from {@code other}, written to {@code out}. */
    static Path withOneLayerOf(Path other, int layer, Path out) throws Exception {
        Files.createDirectories(out);
        try (Stream<Path> files = Files.list(base)) {
            for (Path f : files.filter(f -> !f.getFileName().toString().endsWith(".safetensors")).toList()) {
                Files.copy(f, out.resolve(f.getFileName()));
            }
        }
        String prefix = "model.layers." + layer + ".";
        try (SafetensorsModel from = SafetensorsModel.open(base); SafetensorsModel changed = SafetensorsModel.open(other)) {
            List<TensorInfo> plan = from.tensorNames().stream().map(n -> from.info(n).orElseThrow()).toList();
            assertThat(plan).as("layer " + layer + " exists").anyMatch(t -> t.name().startsWith(prefix));
            try (SafetensorsWriter writer = SafetensorsWriter.create(out, plan, Long.MAX_VALUE)) {
                for (TensorInfo t : plan) {
                    writer.accept(t.name(), (t.name().startsWith(prefix) ? changed : from).tensor(t.name()));
                }
                writer.commit();
            }
        }
        return out;
    }

    @Test
    void aCandidateThatDiffersFromTheServedOneInASingleLayerIsCaught() throws Exception {
        int layers = SynthModelSpec.defaults().numLayers();
        try (ServedModel stale = serve(base); OpenAiServer ignoring = OpenAiServer.start(stale,
                ServerOptions.localDefaults(), new ReloadIgnoringWeightUpdates());
             ServedModel served = serve(base); OpenAiServer reloading = OpenAiServer.start(served,
                ServerOptions.localDefaults(), WeightUpdates.inPlace());
             InJvmProbe kept = InJvmProbe.kept()) {
            ReloadingServer bad = ReloadingServer.connect(endpoint(ignoring), Optional.empty(),
                    ProbeSettings.defaults(), kept);
            ReloadingServer good = ReloadingServer.connect(endpoint(reloading), Optional.empty(),
                    ProbeSettings.defaults(), kept);
            ReloadingServer large = ReloadingServer.connect(endpoint(reloading), Optional.empty(),
                    ProbeSettings.defaults().withInJvmMaxParameters(0));
            for (int layer = 0; layer < layers; layer++) {
                Path candidate = withOneLayerOf(fineTune, layer, tmp.resolve("one-layer-" + layer));
                // the ignoring server still serves base, which differs from the candidate in this layer only
                CandidateLoad caught = bad.load(candidate);
                assertThat(caught.status()).as("layer " + layer + ": " + caught.message())
                        .isEqualTo(CandidateLoad.Status.NOT_SERVING_CANDIDATE);
                CandidateLoad load = good.load(candidate);
                assertThat(load.status()).as("layer " + layer + ": " + load.message())
                        .isEqualTo(CandidateLoad.Status.SERVING);
                // above the in-JVM limit the answer must change from the one before (base's): it does, by this layer
                assertThat(good.load(base).status()).isEqualTo(CandidateLoad.Status.SERVING);
                CandidateLoad changed = large.load(candidate);
                assertThat(changed.status()).as("layer " + layer + ": " + changed.message())
                        .isEqualTo(CandidateLoad.Status.SERVING);
                assertThat(good.load(base).status()).isEqualTo(CandidateLoad.Status.SERVING);
            }
            assertThat(kept.loads()).as("one load, then the weights written in place").isEqualTo(1);
        }
    }

    @Test
    void withoutTheInJvmProbeEachCandidateMustChangeTheServersAnswer() {
        try (ServedModel served = serve(base); OpenAiServer server = OpenAiServer.start(served,
                ServerOptions.localDefaults(), WeightUpdates.inPlace())) {
            ReloadingServer large = ReloadingServer.connect(endpoint(server), Optional.empty(),
                    ProbeSettings.defaults().withInJvmMaxParameters(0));
            assertThat(large.load(fineTune).status()).isEqualTo(CandidateLoad.Status.SERVING);
            assertThat(large.load(base).status()).isEqualTo(CandidateLoad.Status.SERVING);
            // the same weights twice in a row cannot be told from an ignored reload: documented in evolution.md
            assertThat(large.load(base).status()).isEqualTo(CandidateLoad.Status.NOT_SERVING_CANDIDATE);
        }
    }

    @Test
    void aServerThatIsGoneFailsAsAServer() {
        ServerEndpoint endpoint;
        ReloadingServer reloading;
        try (ServedModel served = serve(base); OpenAiServer server = OpenAiServer.start(served,
                ServerOptions.localDefaults())) {
            endpoint = endpoint(server);
            reloading = ReloadingServer.connect(endpoint, Optional.empty(), ProbeSettings.defaults());
        }
        CandidateLoad load = reloading.load(fineTune);
        assertThat(load.status()).isEqualTo(CandidateLoad.Status.SERVER_FAILED);
        assertThat(load.message()).startsWith("The server at " + endpoint + " did not answer the reload of "
                + fineTune + ": ");
        assertThatThrownBy(() -> ServerInfo.query(endpoint)).isInstanceOf(EvomergeException.class)
                .hasMessageStartingWith("The server at " + endpoint + " did not answer GET /v1/models: ");
    }

    @Test
    void noneNeitherReloadsNorProbes() {
        ReloadProtocol none = ReloadProtocols.named("none");
        assertThat(none.reloads()).isFalse();
        ReloadingServer reloading = new ReloadingServer(ServerEndpoint.parse("http://127.0.0.1:9", "--eval-server",
                Optional.empty()), none, "m", ProbeSettings.defaults());
        CandidateLoad load = reloading.load(fineTune);
        assertThat(load.status()).isEqualTo(CandidateLoad.Status.SERVING);
        assertThat(load.message()).contains("--eval-server-reload none");
    }

    @Test
    void optionValuesAreCheckedInOneSentence() {
        assertThat(ReloadProtocols.NAMES.stream().map(n -> ReloadProtocols.named(n).name()).toList())
                .containsExactly("sglang", "vllm", "evomerge", "none");
        assertThatThrownBy(() -> ReloadProtocols.named("tgi")).isInstanceOf(EvomergeException.class)
                .hasMessage("--eval-server-reload tgi is not one of sglang, vllm, evomerge, none.");
        assertThatThrownBy(() -> ServerEndpoint.parse("localhost:8000", "--eval-server", Optional.empty()))
                .hasMessage("--eval-server localhost:8000 must be an http(s) URL such as http://127.0.0.1:8000");
        // a secret in the URL would reach run.db and every message naming the server: refused, and not echoed
        for (String secret : new String[] {"http://user:s3cret@127.0.0.1:8000", "http://127.0.0.1:8000/v1?api_key=s3cret"}) {
            assertThatThrownBy(() -> ServerEndpoint.parse(secret, "--eval-server", Optional.empty()))
                    .hasMessage("--eval-server must be a plain http(s) URL without user:password@ or a query; give the"
                            + " server's key in OPENAI_API_KEY.")
                    .message().doesNotContain("s3cret");
        }
    }
}
