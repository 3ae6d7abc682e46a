package dev.evomerge.eval.reload;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.safetensors.SafetensorsModel;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.TensorInfo;
import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.WeightStorage;
import dev.evomerge.engine.load.ModelLoader;
import dev.evomerge.engine.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The check that a server serves the weights it was asked to load: a fixed short prompt, sent as token ids to
 * {@code /v1/completions} with {@code echo} and {@code logprobs} (as the openai-completions backend scores), and its
 * per-token logprobs compared with the in-JVM engine's for the same directory, or with the server's previous answer.
 */
public final class ReloadProbe {

    /**
     * The probe prompt; its tokens come from the candidate's own tokenizer.json (with its BOS, if any). Short on
     * purpose: every logprob already passes through every layer and a softmax over the whole vocabulary, so more
     * tokens check no more weights, while the in-JVM reference's forward pass (per candidate) and the server's cost
     * grow with them (8 tokens instead of 27 with the 760M bench model's tokenizer: 0.46-0.51 CPU-s of forward pass
     * down to about 0.1, docs/benchmarks.md). ReloadingServerTest checks that a candidate differing from the one
     * served in any single layer is caught.
     */
    public static final String PROMPT = "7 apples, 3 pears.";

    static final Duration TIMEOUT = Duration.ofMinutes(2);

    private ReloadProbe() {
    }

    /** {@link #PROMPT} as token ids of the tokenizer in {@code modelDir}. */
    public static int[] promptTokens(Path modelDir) {
        try (Tokenizer tokenizer = Tokenizer.load(modelDir)) {
            int[] ids = tokenizer.encode(PROMPT, true);
            if (ids.length < 2) {
                throw EvomergeException.usage("The tokenizer of " + modelDir + " makes " + ids.length
                        + " token of the probe prompt; the probe needs at least 2.");
            }
            return ids;
        }
    }

    /**
     * The server's answer to the probe.
     *
     * @param modelId the {@code model} field (the served model's id from {@code /v1/models})
     * @throws IOException when the server does not answer
     * @throws EvomergeException (runtime) naming the server when it answers with an error or without prompt logprobs
     */
    public static ProbeLogprobs served(ServerEndpoint server, String modelId, int[] tokens) throws IOException {
        ObjectNode body = ServerHttp.JSON.createObjectNode();
        body.put("model", modelId);
        body.set("prompt", ServerHttp.JSON.valueToTree(tokens));
        body.put("max_tokens", 1);
        body.put("temperature", 0);
        body.put("logprobs", 1);
        body.put("echo", true);
        ServerHttp.Reply reply = ServerHttp.post(server, "/v1/completions", body, TIMEOUT);
        if (!reply.ok()) {
            throw EvomergeException.runtime("The server at " + server + " answered the reload probe with HTTP "
                    + reply.status() + ": " + reply.excerpt(), null);
        }
        JsonNode lp = reply.json().at("/choices/0/logprobs/token_logprobs");
        if (!lp.isArray() || lp.size() < tokens.length) {
            throw EvomergeException.runtime("The server at " + server + " answered the reload probe without the"
                    + " prompt's logprobs (echo with logprobs): " + reply.excerpt(), null);
        }
        double[] out = new double[tokens.length - 1];
        for (int i = 1; i < tokens.length; i++) {
            JsonNode v = lp.get(i);
            out[i - 1] = v == null || !v.isNumber() ? Double.NaN : v.asDouble();
        }
        return new ProbeLogprobs(tokens, out);
    }

    /** The parameter count of a model directory, from its safetensors headers (no data is read). */
    public static long parameterCount(Path modelDir) {
        try (SafetensorsModel m = SafetensorsModel.open(modelDir)) {
            long n = 0;
            for (String name : m.tensorNames()) {
                n += m.info(name).map(i -> i.shape().numel()).orElse(0L);
            }
            return n;
        }
    }

    /**
     * The in-JVM engine's answer for the model in {@code modelDir}: loaded (bf16 weights kept as bf16, so that the
     * values are those of the file), scored and closed again.
     */
    public static ProbeLogprobs inJvm(Path modelDir, int[] tokens) {
        boolean allBf16;
        try (SafetensorsModel m = SafetensorsModel.open(modelDir)) {
            allBf16 = m.tensorNames().stream().map(n -> m.info(n).map(TensorInfo::dtype).orElse(DType.F32))
                    .allMatch(d -> d == DType.BF16);
        }
        LoadOptions options = LoadOptions.defaults()
                .withWeightStorage(allBf16 ? WeightStorage.BFLOAT16 : WeightStorage.FLOAT32);
        try (CausalLanguageModel model = ModelLoader.load(modelDir, options)) {
            return of(model, tokens);
        }
    }

    /**
     * The answer of a model already in memory, e.g. a candidate merged into resident weights before it is written
     * out: what {@link ReloadingServer#load(Path, java.util.Optional)} takes as {@code expected}.
     */
    public static ProbeLogprobs of(CausalLanguageModel model, int[] tokens) {
        double[] all = model.tokenLogprobs(List.of(tokens), 0).getFirst().tokenLogprobs();
        double[] out = new double[tokens.length - 1];
        System.arraycopy(all, 1, out, 0, out.length);
        return new ProbeLogprobs(tokens, out);
    }
}
