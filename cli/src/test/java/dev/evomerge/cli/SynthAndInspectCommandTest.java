package dev.evomerge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.io.AtomicDirectory;
import dev.evomerge.core.safetensors.SafetensorsWriter;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.engine.chat.ChatMessage;
import dev.evomerge.engine.chat.ChatTemplate;
import dev.evomerge.engine.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class SynthAndInspectCommandTest {


    // the default model: 512*64 embed + 512*64 head + 64 norm + 4 layers of
    // (64*64 q + 2*32*64 k,v + 64*64 o + 3*176*64 mlp + 2*64 norms) = 65,600 + 4 * 50,048
    static final long DEFAULT_PARAMS = 2L * 512 * 64 + 64 + 4L * (64 * 64 + 2 * 32 * 64 + 64 * 64 + 3 * 176 * 64 + 128);

    @Test
    void synthModelWithDefaultsThenInspectIt(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("base");
        CliRun r = CliRun.run("synth", "model", out.toString(), "--seed", "1");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(String.format("Wrote %s: llama, 4 layers, hidden 64, vocab 512, %,d parameters "
                + "(bfloat16, %,d bytes).%n", out, DEFAULT_PARAMS, 2 * DEFAULT_PARAMS));
        JsonNode config = new ObjectMapper().readTree(out.resolve("config.json").toFile());
        assertThat(config.get("num_key_value_heads").asInt()).isEqualTo(2);
        assertThat(config.get("intermediate_size").asInt()).isEqualTo(176);

        CliRun i = CliRun.run("inspect", out.toString());
        assertThat(i.exit()).as(i.err()).isZero();
        String nl = System.lineSeparator();
        assertThat(i.out()).isEqualTo(
                "model         " + out + nl
                + "architecture  LlamaForCausalLM (model_type llama, template llama)" + nl
                + "layers        4" + nl
                + "hidden size   64" + nl
                + "vocab size    512" + nl
                + "config dtype  bfloat16" + nl
                + "tensors       39 in 1 file" + nl
                + "dtypes        bfloat16 x 39" + nl
                + String.format("parameters    %,d (%,d bytes)", DEFAULT_PARAMS, 2 * DEFAULT_PARAMS) + nl);
    }

    @Test
    void synthOptionsReachTheModelAndInspectListsTensors(@TempDir Path tmp) {
        Path out = tmp.resolve("q");
        CliRun r = CliRun.run("synth", "model", out.toString(), "--arch", "qwen2", "--vocab", "300", "--hidden", "32",
                "--layers", "2", "--heads", "4", "--kv-heads", "1", "--intermediate", "40", "--dtype", "fp32",
                "--seed", "3", "--tie-embeddings", "--rope-scaling", "llama3");
        assertThat(r.exit()).as(r.err()).isZero();
        CliRun i = CliRun.run("inspect", "--tensors", out.toString());
        assertThat(i.exit()).as(i.err()).isZero();
        assertThat(i.out()).contains("Qwen2ForCausalLM (model_type qwen2, template qwen2)")
                .contains("dtypes        float32 x 26")
                // 300*32 embed + 32 norm + 2 layers * (32*32+32 q, 2 * (8*32+8) k/v, 32*32 o, 3*40*32 mlp, 2*32)
                .contains("parameters    22,656 (90,624 bytes)")
                // names are padded to the longest, model.layers.0.post_attention_layernorm.weight (46 characters)
                .contains("model.embed_tokens.weight" + " ".repeat(46 - 25 + 2) + "float32   [300, 32]")
                .contains("model.layers.1.self_attn.k_proj.bias" + " ".repeat(46 - 36 + 2) + "float32   [8]")
                .doesNotContain("lm_head");
        // 1 embed + 2 layers x 12 + final norm
        assertThat(i.out().lines().filter(l -> l.startsWith("model.")).count()).isEqualTo(26);
    }

    @Test
    void finetuneWritesADifferentModelWithTheSameTensors(@TempDir Path tmp) throws Exception {
        Path base = tmp.resolve("base");
        Path ft = tmp.resolve("ft");
        assertThat(CliRun.run("synth", "model", base.toString(), "--layers", "2").exit()).isZero();
        CliRun r = CliRun.run("synth", "finetune", base.toString(), ft.toString(), "--seed", "5", "--scale", "0.1");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("Wrote " + ft + ": fine-tune of " + base + " (seed 5, scale 0.1)."
                + System.lineSeparator());
        assertThat(Files.readAllBytes(ft.resolve("tokenizer.json")))
                .isEqualTo(Files.readAllBytes(base.resolve("tokenizer.json")));
        assertThat(Files.readAllBytes(ft.resolve("model.safetensors")))
                .isNotEqualTo(Files.readAllBytes(base.resolve("model.safetensors")));
        CliRun a = CliRun.run("inspect", base.toString());
        CliRun b = CliRun.run("inspect", ft.toString());
        assertThat(b.out().replace(ft.toString(), "X")).isEqualTo(a.out().replace(base.toString(), "X"));
    }

    @Test
    void chatTemplateRendersInTheEnginesTemplateEngineAsInJinja2(@TempDir Path tmp) {
        Path out = tmp.resolve("m");
        assertThat(CliRun.run("synth", "model", out.toString()).exit()).isZero();
        ChatTemplate template = ChatTemplate.load(out).orElseThrow();
        String text = template.render(List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi"),
                ChatMessage.assistant("Hello."), ChatMessage.user("2+2?")), true);
        // the same string Python's jinja2 renders (SynthPythonReferenceTest in core)
        assertThat(text).isEqualTo("<s>System: Be brief.\nUser: Hi\nAssistant: Hello.</s>\nUser: 2+2?\nAssistant:");
    }

    @Test
    void tokenizerLoadsInTheEngineWithTheConfiguredVocabulary(@TempDir Path tmp) {
        Path out = tmp.resolve("m");
        assertThat(CliRun.run("synth", "model", out.toString(), "--vocab", "700").exit()).isZero();
        try (Tokenizer tok = Tokenizer.load(out)) {
            assertThat(tok.vocabSize()).isEqualTo(700);
            String text = "The river runs through the valley. 42 \u00e9t\u00e9";
            int[] ids = tok.encode(text, true);
            assertThat(ids[0]).isEqualTo(1);
            assertThat(tok.decode(ids, true)).isEqualTo(text);
        }
    }

    @Test
    void badArgumentsExitTwoWithOneSentence(@TempDir Path tmp) {
        CliRun heads = CliRun.run("synth", "model", tmp.resolve("a").toString(), "--heads", "3");
        assertThat(heads.exit()).isEqualTo(Main.EXIT_USAGE);
        assertThat(heads.err()).isEqualTo("evomerge: --hidden (64) must be divisible by --heads (3)."
                + System.lineSeparator());
        CliRun arch = CliRun.run("synth", "model", tmp.resolve("b").toString(), "--arch", "gpt2");
        assertThat(arch.exit()).isEqualTo(Main.EXIT_USAGE);
        assertThat(arch.err()).startsWith("evomerge: Unknown architecture 'gpt2'");
        CliRun rope = CliRun.run("synth", "model", tmp.resolve("c").toString(), "--rope-scaling", "yarn");
        assertThat(rope.err()).isEqualTo("evomerge: --rope-scaling supports only llama3, got 'yarn'."
                + System.lineSeparator());
        CliRun scale = CliRun.run("synth", "finetune", tmp.resolve("nope").toString(), tmp.resolve("d").toString());
        assertThat(scale.exit()).isEqualTo(Main.EXIT_USAGE);
        assertThat(scale.err()).isEqualTo("evomerge: Model directory " + tmp.resolve("nope") + " does not exist."
                + System.lineSeparator());
        assertThat(tmp.resolve("a")).doesNotExist();
        assertThat(CliRun.run("synth").exit()).isEqualTo(Main.EXIT_USAGE);
    }

    @Test
    void inspectOfABadDirectoryExitsTwoWithOneSentence(@TempDir Path tmp) throws Exception {
        CliRun missing = CliRun.run("inspect", tmp.resolve("missing").toString());
        assertThat(missing.exit()).isEqualTo(Main.EXIT_USAGE);
        assertThat(missing.err()).isEqualTo("evomerge: Model directory " + tmp.resolve("missing")
                + " does not exist." + System.lineSeparator());
        CliRun noConfig = CliRun.run("inspect", tmp.toString());
        assertThat(noConfig.exit()).isEqualTo(Main.EXIT_USAGE);
        assertThat(noConfig.err()).isEqualTo("evomerge: Model directory " + tmp + " has no config.json."
                + System.lineSeparator());
        Files.writeString(tmp.resolve("config.json"), "{}");
        CliRun noWeights = CliRun.run("inspect", tmp.toString());
        assertThat(noWeights.exit()).isEqualTo(Main.EXIT_USAGE);
        assertThat(noWeights.err().lines().count()).isEqualTo(1);
        assertThat(noWeights.err()).contains("no .safetensors file");
    }

    @Test
    void inspectOfAnUnknownArchitectureInfersLayers(@TempDir Path tmp) throws Exception {
        Files.writeString(tmp.resolve("config.json"), "{\"architectures\": [\"TinyLM\"], \"model_type\": \"tiny\"}");
        Map<String, Tensor> t = new LinkedHashMap<>();
        t.put("wte.weight", Tensor.allocate(DType.F16, Shape.of(10, 4)));
        t.put("h.0.w", Tensor.allocate(DType.F32, Shape.of(4, 4)));
        t.put("h.1.w", Tensor.allocate(DType.F32, Shape.of(4, 4)));
        t.put("h.2.w", Tensor.allocate(DType.F32, Shape.of(4, 4)));
        SafetensorsWriter.writeFile(tmp.resolve("model.safetensors"), t);
        CliRun r = CliRun.run("inspect", tmp.toString());
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("TinyLM (model_type tiny, no template: inferred from tensor names)")
                .contains("layers        3 (counted from tensor names)")
                .contains("hidden size   ?")
                .contains("dtypes        float32 x 3, float16 x 1")
                .contains("parameters    88 (272 bytes)");
    }

    @Test
    void inspectNamesUnfinishedTemporaries(@TempDir Path tmp) throws Exception {
        Path m = tmp.resolve("m");
        assertThat(CliRun.run("synth", "model", m.toString(), "--layers", "1").exit()).isZero();
        // what a merge killed with -9 leaves: a complete-looking copy in a hidden sibling whose lock nobody holds
        Path stale = Files.createDirectories(tmp.resolve(".m.tmp-0a1b2c3d4e5f"));
        try (var files = Files.list(m)) {
            for (Path f : files.toList()) {
                Files.copy(f, stale.resolve(f.getFileName()));
            }
        }
        Files.writeString(stale.resolve(AtomicDirectory.LOCK_FILE), "");
        String abandoned = "the unfinished temporary directory of a write of m, abandoned by a process that is gone"
                + " (it will never be completed; the next write of m deletes it, or delete it yourself)";
        String nl = System.lineSeparator();

        CliRun self = CliRun.run("inspect", stale.toString());
        assertThat(self.exit()).as(self.err()).isZero();
        assertThat(self.out()).startsWith("status        NOT A COMPLETE MODEL: " + abandoned + nl
                + "model         " + stale + nl);

        CliRun target = CliRun.run("inspect", m.toString());
        assertThat(target.exit()).as(target.err()).isZero();
        assertThat(target.out()).startsWith("temporary     " + stale + ": " + abandoned + nl
                + "model         " + m + nl);

        try (AtomicDirectory writing = AtomicDirectory.create(tmp.resolve("w"))) {
            CliRun folder = CliRun.run("inspect", tmp.toString());
            assertThat(folder.exit()).isEqualTo(Main.EXIT_USAGE);
            assertThat(folder.out()).isEqualTo("temporary     " + stale + ": " + abandoned + nl
                    + "temporary     " + writing.path() + ": the unfinished temporary directory of a write of w,"
                    + " still being written by a running process" + nl);
            assertThat(folder.err()).contains("has no config.json");
        }

        // without a lock file (an older evomerge wrote it) nobody can tell
        Files.delete(stale.resolve(AtomicDirectory.LOCK_FILE));
        CliRun unknown = CliRun.run("inspect", m.toString());
        assertThat(unknown.out()).startsWith("temporary     " + stale + ": the unfinished temporary directory of a"
                + " write of m (whether its writer still runs cannot be told: it has no lock file)" + nl);
    }
}
