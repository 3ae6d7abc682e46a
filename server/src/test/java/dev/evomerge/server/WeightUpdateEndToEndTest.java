package dev.evomerge.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.core.synth.FineTuneSynthesizer;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthArch;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.SequenceLogprobs;
import dev.evomerge.engine.load.ModelLoader;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code POST /update_weights_from_disk} on a real server over real safetensors: the served logprobs become those of
 * the new model as the in-JVM engine computes them from its directory, and every refusal leaves the old weights
 * served. The server and the reference engine both hold float32 weights converted from the same bf16 files and run
 * the same code; they still differ by about 1e-5 per token, because the SIMD kernels' float sums are reduced in an
 * order that differs between interpreted and JIT-compiled code. The tolerance is 1e-4 per token, and the two models
 * differ by more than 100 times that.
 */
class WeightUpdateEndToEndTest {

    private static final double TOLERANCE = 1e-4;
    private static final int[] PROBE = {5, 77, 300, 12, 9, 140, 33, 260, 7, 88};

    @TempDir
    static Path tmp;
    static Path base;
    static Path fineTune;
    static double[] baseLogprobs;
    static double[] fineTuneLogprobs;

    @BeforeAll
    static void models() {
        base = tmp.resolve("base");
        fineTune = tmp.resolve("fine-tune");
        ModelSynthesizer.write(SynthModelSpec.defaults(), base);
        FineTuneSynthesizer.write(base, fineTune, 7, 1.0);
        baseLogprobs = engineLogprobs(base);
        fineTuneLogprobs = engineLogprobs(fineTune);
        assertThat(maxDiff(baseLogprobs, fineTuneLogprobs)).as("the two models must be told apart")
                .isGreaterThan(100 * TOLERANCE);
    }

    /** The prompt's per-token logprobs (positions 1..n-1) from the in-JVM engine loading {@code dir} itself. */
    static double[] engineLogprobs(Path dir) {
        try (CausalLanguageModel m = ModelLoader.load(dir, LoadOptions.defaults().withThreads(1))) {
            SequenceLogprobs s = m.tokenLogprobs(List.of(PROBE), 0).getFirst();
            double[] out = new double[PROBE.length - 1];
            for (int i = 1; i < PROBE.length; i++) {
                out[i - 1] = s.tokenLogprobs()[i];
            }
            return out;
        }
    }

    static double maxDiff(double[] a, double[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    static ObjectNode update(Path dir) {
        return Http.JSON.createObjectNode().put("model_path", dir.toString());
    }

    static OpenAiServer start(ServedModel served) {
        return OpenAiServer.start(served, ServerOptions.localDefaults());
    }

    @Test
    void aReloadServesTheNewWeightsAndReportsTheirPath() {
        try (ServedModel served = ServedModel.load(base, "synth", LoadOptions.defaults().withThreads(1));
             OpenAiServer server = start(served)) {
            Http http = new Http(server.baseUrl());
            assertThat(maxDiff(served(http), baseLogprobs)).isLessThanOrEqualTo(TOLERANCE);
            assertThat(http.get("/get_model_info").body().get("model_path").asText())
                    .isEqualTo(base.toAbsolutePath().normalize().toString());

            Http.Reply r = http.post("/update_weights_from_disk", update(fineTune));
            assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
            assertThat(r.body().get("success").asBoolean()).isTrue();
            assertThat(r.body().get("message").asText()).startsWith("Loaded 39 tensors from " + fineTune);
            assertThat(maxDiff(served(http), fineTuneLogprobs)).isLessThanOrEqualTo(TOLERANCE);

            JsonNode info = http.get("/get_model_info").body();
            assertThat(info.get("model_path").asText()).isEqualTo(fineTune.toAbsolutePath().normalize().toString());
            assertThat(info.get("tokenizer_path").asText()).isEqualTo(base.toAbsolutePath().normalize().toString());
            assertThat(info.get("weight_version").asText()).isEqualTo("1");
            assertThat(http.get("/v1/models").body().at("/data/0/root").asText())
                    .isEqualTo(fineTune.toAbsolutePath().normalize().toString());

            // and back: the update is a full overwrite, not a delta
            assertThat(http.post("/update_weights_from_disk", update(base)).status()).isEqualTo(200);
            assertThat(maxDiff(served(http), baseLogprobs)).isLessThanOrEqualTo(TOLERANCE);
            assertThat(http.get("/get_model_info").body().get("weight_version").asText()).isEqualTo("2");
        }
    }

    @Test
    void refusedReloadsAnswer400AndKeepServingTheOldWeights() throws IOException {
        Path wider = tmp.resolve("wider");
        ModelSynthesizer.write(SynthModelSpec.defaults().withWidth(128, 4, 2, 176), wider);
        Path qwen = tmp.resolve("qwen");
        ModelSynthesizer.write(SynthModelSpec.defaults().withArch(SynthArch.QWEN2), qwen);
        Path deeper = tmp.resolve("deeper");
        ModelSynthesizer.write(SynthModelSpec.defaults().withLayers(5), deeper);
        Path truncated = copyOf(fineTune, tmp.resolve("truncated"));
        Path file = truncated.resolve("model.safetensors");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(Files.size(file) - 1000);
        }
        Path garbageHeader = copyOf(fineTune, tmp.resolve("garbage-header"));
        byte[] bytes = Files.readAllBytes(garbageHeader.resolve("model.safetensors"));
        for (int i = 8; i < 40; i++) {
            bytes[i] = '#';
        }
        Files.write(garbageHeader.resolve("model.safetensors"), bytes);
        Path noWeights = tmp.resolve("no-weights");
        Files.createDirectories(noWeights);
        Files.copy(fineTune.resolve("config.json"), noWeights.resolve("config.json"));

        try (ServedModel served = ServedModel.load(base, "synth", LoadOptions.defaults().withThreads(1));
             OpenAiServer server = start(served)) {
            Http http = new Http(server.baseUrl());
            record Case(Path dir, String message) {
            }
            List<Case> cases = List.of(
                    new Case(wider, "config.json has hidden_size 128 where the served model has 64"),
                    new Case(qwen, "config.json has architectures Qwen2ForCausalLM where the served model has"
                            + " LlamaForCausalLM"),
                    new Case(deeper, "config.json has num_hidden_layers 5 where the served model has 4"),
                    new Case(tmp.resolve("missing"), "Model directory " + tmp.resolve("missing") + " does not exist."),
                    new Case(truncated, "model.safetensors"),
                    new Case(garbageHeader, "model.safetensors"),
                    new Case(noWeights, "no .safetensors file"));
            for (Case c : cases) {
                Http.Reply r = http.post("/update_weights_from_disk", update(c.dir()));
                assertThat(r.status()).as(c.dir() + ": " + r.body()).isEqualTo(400);
                assertThat(r.body().get("success").asBoolean()).isFalse();
                assertThat(r.body().get("message").asText()).as(c.dir().toString()).contains(c.message());
                assertThat(maxDiff(served(http), baseLogprobs)).as(c.dir().toString()).isLessThanOrEqualTo(TOLERANCE);
            }
            Http.Reply noPath = http.post("/update_weights_from_disk", Http.JSON.createObjectNode());
            assertThat(noPath.status()).isEqualTo(400);
            assertThat(noPath.body().get("message").asText()).isEqualTo("The body needs 'model_path': the model"
                    + " directory to load.");
            assertThat(http.get("/get_model_info").body().get("weight_version").asText()).isEqualTo("0");
            // a refusal leaves a server that still loads a good directory
            assertThat(http.post("/update_weights_from_disk", update(fineTune)).status()).isEqualTo(200);
            assertThat(maxDiff(served(http), fineTuneLogprobs)).isLessThanOrEqualTo(TOLERANCE);
        }
    }

    @Test
    void requestsDuringReloadsSeeOneModelOrTheOtherNeverAMix() throws Exception {
        try (ServedModel served = ServedModel.load(base, "synth", LoadOptions.defaults().withThreads(1));
             OpenAiServer server = start(served);
             ExecutorService clients = Executors.newFixedThreadPool(4)) {
            Http http = new Http(server.baseUrl());
            List<Future<double[]>> answers = new ArrayList<>();
            for (int round = 0; round < 6; round++) {
                for (int i = 0; i < 4; i++) {
                    answers.add(clients.submit(() -> served(http)));
                }
                Path next = round % 2 == 0 ? fineTune : base;
                assertThat(http.post("/update_weights_from_disk", update(next)).status()).isEqualTo(200);
            }
            int sawBase = 0;
            int sawFineTune = 0;
            for (Future<double[]> f : answers) {
                double[] got = f.get();
                boolean isBase = maxDiff(got, baseLogprobs) <= TOLERANCE;
                boolean isFineTune = maxDiff(got, fineTuneLogprobs) <= TOLERANCE;
                assertThat(isBase || isFineTune).as("a reply computed on a mix of two models").isTrue();
                sawBase += isBase ? 1 : 0;
                sawFineTune += isFineTune ? 1 : 0;
            }
            assertThat(sawBase + sawFineTune).isEqualTo(24);
        }
    }

    @Test
    void aServerThatIgnoresReloadsSaysSuccessAndKeepsItsWeights() {
        try (ServedModel served = ServedModel.load(base, "synth", LoadOptions.defaults().withThreads(1));
             OpenAiServer server = OpenAiServer.start(served, ServerOptions.localDefaults(),
                     new ReloadIgnoringWeightUpdates())) {
            Http http = new Http(server.baseUrl());
            Http.Reply r = http.post("/update_weights_from_disk", update(fineTune));
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.body().get("success").asBoolean()).isTrue();
            assertThat(maxDiff(served(http), baseLogprobs)).isLessThanOrEqualTo(TOLERANCE);
        }
    }

    @Test
    void withAnApiKeyTheControlEndpointsNeedIt() {
        try (ServedModel served = ServedModel.load(base, "synth", LoadOptions.defaults().withThreads(1));
             OpenAiServer server = OpenAiServer.start(served, ServerOptions.localDefaults().withApiKey("k1"))) {
            Http http = new Http(server.baseUrl());
            assertThat(http.post("/update_weights_from_disk", update(fineTune)).status()).isEqualTo(401);
            assertThat(http.get("/get_model_info").status()).isEqualTo(401);
            assertThat(maxDiff(served(http, "Authorization", "Bearer k1"), baseLogprobs))
                    .isLessThanOrEqualTo(TOLERANCE);
            assertThat(http.post("/update_weights_from_disk", update(fineTune), "Authorization", "Bearer k1")
                    .status()).isEqualTo(200);
        }
    }

    static double[] served(Http http, String... headers) {
        ObjectNode req = Http.JSON.createObjectNode().put("max_tokens", 1).put("temperature", 0).put("echo", true)
                .put("logprobs", 1);
        req.set("prompt", Http.JSON.valueToTree(PROBE));
        Http.Reply r = http.post("/v1/completions", req, headers);
        assertThat(r.status()).as(r.body().toString()).isEqualTo(200);
        JsonNode lp = r.body().at("/choices/0/logprobs/token_logprobs");
        double[] out = new double[PROBE.length - 1];
        for (int i = 1; i < PROBE.length; i++) {
            out[i - 1] = lp.get(i).asDouble();
        }
        return out;
    }

    static Path copyOf(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (var files = Files.list(from)) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }
}
