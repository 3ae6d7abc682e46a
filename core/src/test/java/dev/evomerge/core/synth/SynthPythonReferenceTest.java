package dev.evomerge.core.synth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.model.PythonScripts;
import dev.evomerge.core.tensor.DType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Checks synthetic models with the Python libraries that real users load them with: Hugging Face tokenizers,
 * json (transformers' file layout), jinja2 (chat templates) and numpy (an independent forward pass).
 * Fails rather than skips under CI=true when they are missing.
 */
class SynthPythonReferenceTest {

    @ParameterizedTest
    @ValueSource(ints = {259, 512, 4096})
    void tokenizerLoadsInHuggingFaceTokenizersAndRoundTrips(int vocab, @TempDir Path tmp) throws Exception {
        PythonScripts.require("tokenizers");
        Path out = tmp.resolve("m");
        ModelSynthesizer.write(SynthModelSpec.defaults().withVocabSize(vocab).withLayers(1), out);
        String result = PythonScripts.run("""
                import json, sys
                from tokenizers import Tokenizer
                tok = Tokenizer.from_file(sys.argv[1] + "/tokenizer.json")
                texts = ["The teacher asked the class a simple question.",
                         "Caf\\u00e9 na\\u00efve \\u6771\\u4eac \\U0001F642 -- tabs\\tand  two spaces\\nnew line",
                         "What is seven plus five? Answer: 12"]
                report = {"vocab": tok.get_vocab_size(), "vocab_no_added": tok.get_vocab_size(with_added_tokens=False),
                          "round_trips": [], "first_ids": [], "lengths": [], "bytes": []}
                for t in texts:
                    enc = tok.encode(t)
                    report["round_trips"].append(tok.decode(enc.ids) == t)
                    report["first_ids"].append(enc.ids[0])
                    report["lengths"].append(len(enc.ids) - 1)
                    report["bytes"].append(len(t.encode("utf-8")))
                report["max_id"] = max(max(tok.encode(t).ids) for t in texts)
                report["bos"] = tok.token_to_id("<s>")
                report["eos"] = tok.token_to_id("</s>")
                report["unk"] = tok.token_to_id("<unk>")
                print(json.dumps(report))
                """, out.toString());
        JsonNode r = new ObjectMapper().readTree(result);
        assertThat(r.get("vocab").asInt()).isEqualTo(vocab);
        assertThat(r.get("vocab_no_added").asInt()).isEqualTo(vocab);
        assertThat(r.get("round_trips").toString()).isEqualTo("[true,true,true]");
        assertThat(r.get("first_ids").toString()).isEqualTo("[1,1,1]");
        assertThat(r.get("bos").asInt()).isEqualTo(1);
        assertThat(r.get("eos").asInt()).isEqualTo(2);
        assertThat(r.get("unk").asInt()).isEqualTo(0);
        assertThat(r.get("max_id").asInt()).isLessThan(vocab);
        int englishTokens = r.get("lengths").get(0).asInt();
        int englishBytes = r.get("bytes").get(0).asInt();
        if (vocab == ByteLevelBpe.FIRST_MERGE_ID) {
            assertThat(englishTokens).isEqualTo(englishBytes); // no merges: one token per byte
        } else {
            assertThat(englishTokens).isLessThan(englishBytes / 2); // merges learned from English compress it
        }
    }

    @Test
    void jsonFilesAreLaidOutAsTransformersWritesThem(@TempDir Path tmp) {
        PythonScripts.require("json");
        for (SynthArch arch : SynthArch.values()) {
            Path out = tmp.resolve(arch.modelType());
            ModelSynthesizer.write(ModelSynthesizerTest.SMALL.withArch(arch)
                    .withLlama3RopeScaling(arch != SynthArch.MISTRAL), out);
            String result = PythonScripts.run("""
                    import json, sys
                    d = sys.argv[1]
                    for name, ascii in [("config.json", True), ("generation_config.json", True),
                                        ("tokenizer_config.json", False), ("special_tokens_map.json", False)]:
                        text = open(d + "/" + name, encoding="utf-8").read()
                        expected = json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=ascii) + "\\n"
                        print(name, text == expected)
                    """, out.toString());
            assertThat(result).as(arch.modelType()).isEqualTo("config.json True\ngeneration_config.json True\n"
                    + "tokenizer_config.json True\nspecial_tokens_map.json True\n");
        }
    }

    @Test
    void chatTemplateRendersInJinja2WithAndWithoutBlockTrimming() {
        PythonScripts.require("jinja2");
        String result = PythonScripts.run("""
                import sys, jinja2
                msgs = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"},
                        {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "2+2?"}]
                outs = []
                for trim in (True, False):
                    env = jinja2.Environment(trim_blocks=trim, lstrip_blocks=trim)
                    t = env.from_string(sys.argv[1])
                    outs.append(t.render(messages=msgs, bos_token="<s>", eos_token="</s>", add_generation_prompt=True))
                assert outs[0] == outs[1], outs
                sys.stdout.write(outs[0])
                """, HfModelFiles.CHAT_TEMPLATE);
        assertThat(result).isEqualTo("<s>System: Be brief.\nUser: Hi\nAssistant: Hello.</s>\nUser: 2+2?\nAssistant:");
    }

    @Test
    void forwardPassInNumpyGivesSpreadNonUniformDistributions(@TempDir Path tmp) throws Exception {
        PythonScripts.require("numpy", "safetensors", "tokenizers");
        Path out = tmp.resolve("m");
        ModelSynthesizer.write(SynthModelSpec.defaults().withDtype(DType.F32), out);
        // Hugging Face Llama semantics: RMSNorm, rotate-half RoPE, grouped-query causal attention, SiLU-gated MLP
        String result = PythonScripts.run("""
                import json, sys
                import numpy as np
                from safetensors.numpy import load_file
                from tokenizers import Tokenizer
                d = sys.argv[1]
                cfg = json.load(open(d + "/config.json"))
                w = {k: v.astype(np.float64) for k, v in load_file(d + "/model.safetensors").items()}
                text = "The children walked to school and the baker opened the door."
                ids = Tokenizer.from_file(d + "/tokenizer.json").encode(text).ids
                H, nh, kv = cfg["hidden_size"], cfg["num_attention_heads"], cfg["num_key_value_heads"]
                hd, eps, T = H // nh, cfg["rms_norm_eps"], len(ids)
                def rms(x, g): return x / np.sqrt((x * x).mean(-1, keepdims=True) + eps) * g
                inv = 1.0 / cfg["rope_theta"] ** (np.arange(0, hd, 2) / hd)
                ang = np.outer(np.arange(T), inv); ang = np.concatenate([ang, ang], -1)
                cos, sin = np.cos(ang), np.sin(ang)
                def rope(x):
                    rot = np.concatenate([-x[..., hd // 2:], x[..., :hd // 2]], -1)
                    return x * cos + rot * sin
                x = w["model.embed_tokens.weight"][ids]
                mask = np.triu(np.full((T, T), -np.inf), 1)
                for l in range(cfg["num_hidden_layers"]):
                    p = "model.layers.%d." % l
                    h = rms(x, w[p + "input_layernorm.weight"])
                    q = (h @ w[p + "self_attn.q_proj.weight"].T).reshape(T, nh, hd).transpose(1, 0, 2)
                    k = (h @ w[p + "self_attn.k_proj.weight"].T).reshape(T, kv, hd).transpose(1, 0, 2)
                    v = (h @ w[p + "self_attn.v_proj.weight"].T).reshape(T, kv, hd).transpose(1, 0, 2)
                    q, k = rope(q), rope(k)
                    k, v = np.repeat(k, nh // kv, 0), np.repeat(v, nh // kv, 0)
                    s = q @ k.transpose(0, 2, 1) / np.sqrt(hd) + mask
                    a = np.exp(s - s.max(-1, keepdims=True)); a /= a.sum(-1, keepdims=True)
                    o = (a @ v).transpose(1, 0, 2).reshape(T, H)
                    x = x + o @ w[p + "self_attn.o_proj.weight"].T
                    h = rms(x, w[p + "post_attention_layernorm.weight"])
                    g = h @ w[p + "mlp.gate_proj.weight"].T
                    act = (g / (1 + np.exp(-g))) * (h @ w[p + "mlp.up_proj.weight"].T)
                    x = x + act @ w[p + "mlp.down_proj.weight"].T
                logits = rms(x, w["model.norm.weight"]) @ w["lm_head.weight"].T
                pr = np.exp(logits - logits.max(-1, keepdims=True)); pr /= pr.sum(-1, keepdims=True)
                ent = -(pr * np.log(pr)).sum(-1)
                tv = 0.5 * np.abs(pr[1:] - pr[:-1]).sum(-1)
                print(json.dumps({"entropy_min": ent.min(), "entropy_max": ent.max(), "max_prob": pr.max(),
                                  "argmax_distinct": len(set(pr.argmax(-1).tolist())), "positions": T,
                                  "tv_min": tv.min(), "finite": bool(np.isfinite(logits).all())}))
                """, out.toString());
        JsonNode r = new ObjectMapper().readTree(result);
        double uniform = Math.log(512);
        assertThat(r.get("finite").asBoolean()).isTrue();
        // peaked enough to be far from uniform, spread enough that sampling and log-likelihoods are informative
        assertThat(r.get("entropy_max").asDouble()).isLessThan(0.9 * uniform);
        assertThat(r.get("entropy_min").asDouble()).isGreaterThan(0.5);
        assertThat(r.get("max_prob").asDouble()).isBetween(0.05, 0.99);
        // different contexts give different predictions
        assertThat(r.get("argmax_distinct").asInt()).isGreaterThan(r.get("positions").asInt() / 2);
        assertThat(r.get("tv_min").asDouble()).isGreaterThan(0.05);
    }
}
