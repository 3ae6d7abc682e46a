package dev.evomerge.evolve.demo;

import dev.evomerge.core.synth.FineTuneSynthesizer;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthArch;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.engine.tokenizer.Tokenizer;
import dev.evomerge.eval.model.LanguageModel;
import dev.evomerge.eval.model.LanguageModels;
import dev.evomerge.eval.model.ModelTokenizer;
import dev.evomerge.eval.synth.SyntheticTasks;
import dev.evomerge.evolve.dataflow.DataFlowDefinition;
import dev.evomerge.evolve.dataflow.DataFlowGenome;
import dev.evomerge.evolve.dataflow.LayerPath;
import dev.evomerge.evolve.dataflow.PathStep;
import dev.evomerge.evolve.dataflow.ResidentSources;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * The data-flow demo's problem ({@code evomerge demo --space dfs}), made offline from nothing: a synthetic model A and
 * a model B of the same shape (a fine-tune of A), a hidden target path through their layers, and a multiple-choice
 * task whose gold answers are the choices of A re-pointed at that path (in memory). The target path differs from A's
 * own in one of each kind of change a data-flow genome can make: a layer repeated, a layer skipped, a layer borrowed
 * from B, and a layer whose input is scaled. The target itself scores 1.
 */
public final class HiddenPath {

    /** What {@link #prepare} wrote. */
    public record Setup(Path genomeFile, Path taskDir, String taskName, DataFlowGenome genome, LayerPath target,
                        double[] targetGenes, List<Path> models) {
    }

    /** Decoder layers of the demo's models. */
    public static final int LAYERS = 4;
    /** The scale of the stream entering A's last layer on the target path (after B's layer). */
    public static final double TARGET_SCALE = 1.5;
    /**
     * A0, A1, A1 (repeated), B2 (borrowed; A2 skipped), A3 with its input scaled by {@link #TARGET_SCALE}. With
     * model-pair scaling the scale is the gene of the pair (B, A).
     */
    public static final LayerPath TARGET = new LayerPath(List.of(new PathStep(0, 0, 1.0), new PathStep(0, 1, 1.0),
            new PathStep(0, 1, 1.0), new PathStep(1, 2, 1.0), new PathStep(0, 3, TARGET_SCALE)));
    /** Delta scale of B against A: far enough that borrowing its layer changes the answers. */
    public static final double DEFAULT_SCALE = 0.5;
    public static final String TASK = "hidden_path_mc";

    private HiddenPath() {
    }

    /** Writes models, task and genome file under {@code dir} (which must not exist or be empty). */
    public static Setup prepare(Path dir, long seed, int rows, int threads) {
        DemoFiles.requireEmpty(dir);
        Path a = dir.resolve("models/model-a");
        Path b = dir.resolve("models/model-b");
        SynthModelSpec spec = new SynthModelSpec(SynthArch.LLAMA, 512, 64, LAYERS, 4, 2, 176, DType.BF16, seed, false, false);
        ModelSynthesizer.write(spec, a);
        FineTuneSynthesizer.write(a, b, seed + 303, DEFAULT_SCALE);
        DataFlowGenome genome = new DataFlowGenome(DataFlowDefinition.defaults(), List.of(DemoFiles.absolute(a), DemoFiles.absolute(b)),
                List.of(LAYERS, LAYERS));
        double[] targetGenes = genome.encode(TARGET);

        Path taskDir = dir.resolve("task");
        try (ResidentSources sources = ResidentSources.load(null, List.of(a, b), threads)) {
            sources.point(TARGET);
            try (LanguageModel teacher = LanguageModels.embedded(sources.host(), "hidden-path", false, true, 32)) {
                SyntheticTasks.multipleChoice(taskDir, new SyntheticTasks.Options(TASK, rows, 5, 4, seed),
                        Optional.of(teacher), Optional.of(new ModelTokenizer(Tokenizer.load(a))));
            }
        }
        Path genomeFile = dir.resolve("genome.yml");
        String yaml = """
                # The data-flow demo: recover a hidden path through the layers of two models.
                # merge_method is what --space ps or ps+dfs would search; --space dfs does not use it.
                genome:
                  models:
                    - %s
                    - %s
                  merge_method: linear
                data_flow:
                  repeats: 2
                  scaling: model-pair
                  scale_range: [0.5, 2.0]
                tasks:
                  - name: %s
                    metric: "acc,none"
                """.formatted(DemoFiles.quoted(a), DemoFiles.quoted(b), TASK);
        DemoFiles.write(genomeFile, yaml);
        return new Setup(genomeFile, taskDir, TASK, genome, TARGET, targetGenes, List.of(a, b));
    }
}
