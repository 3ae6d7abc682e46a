package dev.evomerge.cli;

import dev.evomerge.evolve.demo.HiddenRecipe;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.store.RunStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code evolve --allow-crimes} reaches every candidate's merge, not only the final model's. */
class EvolveAllowCrimesTest {

    @Test
    void candidatesOfModelsWithDifferentArchitecturesFailWithoutAllowCrimesAndScoreWithIt(@TempDir Path dir) throws Exception {
        HiddenRecipe.Setup setup = HiddenRecipe.prepare(dir.resolve("demo"), 3, 8, 1);
        // The same tensors under another architecture's name: the merge refuses the pair unless crimes are allowed.
        Path config = dir.resolve("demo/models/finetune-b/config.json");
        String llama = Files.readString(config);
        assertThat(llama).contains("\"LlamaForCausalLM\"").contains("\"model_type\": \"llama\"");
        Files.writeString(config, llama.replace("\"LlamaForCausalLM\"", "\"MistralForCausalLM\"")
                .replace("\"model_type\": \"llama\"", "\"model_type\": \"mistral\""));

        CliRun refused = evolve(setup, dir.resolve("without"));
        assertThat(refused.exit()).as(refused.err()).isEqualTo(1);
        assertThat(refused.err()).contains("No candidate produced a score (2 evaluated, all failed)")
                .contains("The models have different architectures (").contains("pass --allow-crimes");

        Path run = dir.resolve("with");
        CliRun allowed = evolve(setup, run, "--allow-crimes");
        assertThat(allowed.exit()).as(allowed.err()).isZero();
        try (RunStore s = RunStore.openReadOnly(run)) {
            List<Evaluation> candidates = s.allCandidates();
            assertThat(candidates).hasSize(2).allSatisfy(c -> {
                assertThat(c.ok()).as(c.error()).isTrue();
                assertThat(c.score()).isBetween(0.0, 1.0);
            });
        }
        assertThat(run.resolve("final_model/config.json")).exists();
    }

    private static CliRun evolve(HiddenRecipe.Setup setup, Path storage, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("evolve", setup.genomeFile().toString(), "--storage-path",
                storage.toString(), "--quiet", "-j", "1", "--optimizer", "random", "--max-generation", "0",
                "--force-population-size", "2", "--task-search-path", setup.taskDir().toString()));
        args.addAll(List.of(more));
        return CliRun.run(args.toArray(String[]::new));
    }
}
