package dev.evomerge.evolve.demo;

import dev.evomerge.core.synth.FineTuneSynthesizer;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.tokenizer.Tokenizer;
import dev.evomerge.eval.model.LanguageModel;
import dev.evomerge.eval.model.LanguageModels;
import dev.evomerge.eval.model.ModelTokenizer;
import dev.evomerge.eval.synth.SyntheticTasks;
import dev.evomerge.evolve.genome.Genome;
import dev.evomerge.evolve.genome.GenomeDefinition;
import dev.evomerge.merge.MergeOptions;
import dev.evomerge.merge.MergeReporter;
import dev.evomerge.merge.MergeSession;
import dev.evomerge.merge.config.MergeConfig;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The demo's problem, made offline from nothing: a synthetic base model and two fine-tunes, a hidden target recipe
 * (task_arithmetic weights per layer group), the target model it merges to, and a multiple-choice task whose gold
 * answers are the target model's own choices. A merge scores higher the closer its recipe behaves to the hidden one;
 * the target itself scores 1.
 */
public final class HiddenRecipe {

    /** What {@link #prepare} wrote. */
    public record Setup(Path genomeFile, Path taskDir, String taskName, Genome genome, double[] targetGenes,
                        MergeConfig targetConfig) {
    }

    /** The hidden recipe: weights of fine-tune A and B in layer groups 0-1 and 2-3, as genes (weight = gene). */
    public static final double[] TARGET_GENES = {0.85, 0.15, 0.20, 0.75};

    private HiddenRecipe() {
    }

    /** Writes models, task and genome file under {@code dir} (which must not exist or be empty). */
    public static Setup prepare(Path dir, long seed, int rows, int threads) {
        return prepare(dir, seed, rows, threads, DEFAULT_SCALE);
    }

    /** Fine-tune delta scale of the demo: large enough that the recipe decides the answers, small enough to search. */
    public static final double DEFAULT_SCALE = 0.15;

    /** {@link #prepare(Path, long, int, int)} with fine-tunes of delta scale {@code scale}. */
    public static Setup prepare(Path dir, long seed, int rows, int threads, double scale) {
        DemoFiles.requireEmpty(dir);
        Path base = dir.resolve("models/base");
        Path a = dir.resolve("models/finetune-a");
        Path b = dir.resolve("models/finetune-b");
        Path target = dir.resolve("models/hidden-target");
        SynthModelSpec spec = new SynthModelSpec(dev.evomerge.core.synth.SynthArch.LLAMA, 512, 64, 4, 4, 2, 176,
                dev.evomerge.core.tensor.DType.BF16, seed, false, false);
        ModelSynthesizer.write(spec, base);
        // Fine-tunes far enough from the base (and from each other) that the recipe decides the answers.
        FineTuneSynthesizer.write(base, a, seed + 101, scale);
        FineTuneSynthesizer.write(base, b, seed + 202, scale);

        // Absolute paths: relative ones resolve against the working directory (as in mergekit), not the genome's folder.
        GenomeDefinition def = new GenomeDefinition(List.of(DemoFiles.absolute(a), DemoFiles.absolute(b)), "task_arithmetic",
                DemoFiles.absolute(base), null, 2, null, false, false, List.of());
        Genome genome = new Genome(def, spec.numLayers());
        MergeConfig targetConfig = genome.decode(TARGET_GENES);
        MergeOptions mo = MergeOptions.defaults().withThreads(threads).withRandomSeed(seed).withBaseDirectory(dir);
        try (MergeSession s = MergeSession.open(targetConfig, mo, MergeReporter.silent())) {
            s.writeModel(target);
        }

        Path taskDir = dir.resolve("task");
        String taskName = "hidden_recipe_mc";
        try (LanguageModel teacher = LanguageModels.embedded(target, LoadOptions.defaults().withThreads(threads), true, 32)) {
            SyntheticTasks.multipleChoice(taskDir, new SyntheticTasks.Options(taskName, rows, 5, 4, seed), Optional.of(teacher),
                    Optional.of(new ModelTokenizer(Tokenizer.load(target))));
        }
        Path genomeFile = dir.resolve("genome.yml");
        String yaml = """
                # The demo's evolution: recover the hidden per-layer-group weights of two fine-tunes.
                genome:
                  models:
                    - %s
                    - %s
                  merge_method: task_arithmetic
                  base_model: %s
                  layer_granularity: 2
                tasks:
                  - name: %s
                    metric: "acc,none"
                """.formatted(DemoFiles.quoted(a), DemoFiles.quoted(b), DemoFiles.quoted(base), taskName);
        DemoFiles.write(genomeFile, yaml);
        return new Setup(genomeFile, taskDir, taskName, genome, TARGET_GENES.clone(), targetConfig);
    }
}
