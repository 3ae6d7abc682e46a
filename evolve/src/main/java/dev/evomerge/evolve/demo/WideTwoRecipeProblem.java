package dev.evomerge.evolve.demo;

import dev.evomerge.core.synth.FineTuneSynthesizer;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthArch;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.core.tensor.DType;
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

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * A wider two-task problem than {@link TwoRecipeProblem}: a synthetic base model of {@code layers} layers and
 * {@code fineTunes} fine-tunes, searched as one task_arithmetic weight per layer and fine-tune (layers x fineTunes
 * genes), with two hidden recipes that are points of that same space. Task A's gold answers are the choices of the
 * model recipe A merges to, task B's those of recipe B. Recipe A's genes are drawn from the seed near either end of
 * [0, 1] ({@link #recipes}); recipe B is its mirror image (1 - gene), so the tasks conflict in every gene and the true
 * front runs from recipe A (1 on task A) to recipe B (1 on task B). A uniform sample's genes average out towards the
 * middle, far from both recipes, so with tens of genes random search rarely lands near either end of the front.
 */
public final class WideTwoRecipeProblem {

    /**
     * The problem's shape: layers of the synthetic models, fine-tunes merged, questions per task, and the fine-tunes'
     * scale (the size of each fine-tune's change to the base, {@link FineTuneSynthesizer}): a larger scale makes the
     * merged model, and so both accuracies, respond more to the genes.
     */
    public record Shape(int layers, int fineTunes, int rows, double fineTuneScale) {
        public Shape {
            if (layers < 1 || fineTunes < 2 || rows < 1 || !(fineTuneScale > 0)) {
                throw new IllegalArgumentException("a wide two-recipe problem needs at least 1 layer, 2 fine-tunes, 1"
                        + " question and a positive fine-tune scale, got " + layers + ", " + fineTunes + ", " + rows
                        + ", " + fineTuneScale);
            }
        }

        /** The demo's fine-tune scale ({@link HiddenRecipe#DEFAULT_SCALE}). */
        public Shape(int layers, int fineTunes, int rows) {
            this(layers, fineTunes, rows, HiddenRecipe.DEFAULT_SCALE);
        }

        /** Genes of the searched genome: one weight per layer and fine-tune. */
        public int genes() {
            return layers * fineTunes;
        }
    }

    /** What {@link #prepare} wrote: the genome file names both tasks (weight 1 each, metric acc,none). */
    public record Setup(Path genomeFile, List<Path> taskDirs, List<String> taskNames, Genome genome,
                        double[] firstRecipeGenes, double[] secondRecipeGenes) {
    }

    /** Answer choices per question: the tasks' chance accuracy is 1/CHOICES. */
    public static final int CHOICES = 4;

    private WideTwoRecipeProblem() {
    }

    /**
     * The two hidden recipes for {@code genes} genes: recipe A's genes are uniform in [0.05, 0.25] or [0.75, 0.95] (a
     * fair coin picks which), recipe B's are 1 minus A's. Deterministic in {@code seed}.
     */
    public static double[][] recipes(long seed, int genes) {
        SplittableRandom rng = new SplittableRandom(seed * 7919 + 17);
        double[] a = new double[genes];
        double[] b = new double[genes];
        for (int i = 0; i < genes; i++) {
            double low = 0.05 + 0.2 * rng.nextDouble();
            a[i] = rng.nextBoolean() ? low : 1 - low;
            b[i] = 1 - a[i];
        }
        return new double[][] {a, b};
    }

    /** Writes models, both tasks and the genome file under {@code dir} (which must not exist or be empty). */
    public static Setup prepare(Path dir, long seed, Shape shape, int threads) {
        DemoFiles.requireEmpty(dir);
        Path base = dir.resolve("models/base");
        SynthModelSpec spec = new SynthModelSpec(SynthArch.LLAMA, 512, 64, shape.layers(), 4, 2, 176, DType.BF16, seed,
                false, false);
        ModelSynthesizer.write(spec, base);
        List<String> models = new ArrayList<>();
        for (int k = 0; k < shape.fineTunes(); k++) {
            Path ft = dir.resolve("models/finetune-" + k);
            FineTuneSynthesizer.write(base, ft, seed + 101L * (k + 1), shape.fineTuneScale());
            models.add(DemoFiles.absolute(ft));
        }
        GenomeDefinition def = new GenomeDefinition(models, "task_arithmetic", DemoFiles.absolute(base), null, 1, null,
                false, false, List.of());
        Genome genome = new Genome(def, shape.layers());
        double[][] recipes = recipes(seed, genome.layout().size());
        String[] names = {"wide_recipe_a_mc", "wide_recipe_b_mc"};
        List<Path> taskDirs = new ArrayList<>();
        MergeOptions mo = MergeOptions.defaults().withThreads(threads).withRandomSeed(seed).withBaseDirectory(dir);
        for (int t = 0; t < 2; t++) {
            Path target = dir.resolve("models/hidden-target-" + (char) ('a' + t));
            try (MergeSession s = MergeSession.open(genome.decode(recipes[t]), mo, MergeReporter.silent())) {
                s.writeModel(target);
            }
            Path taskDir = dir.resolve("task-" + (char) ('a' + t));
            try (LanguageModel teacher = LanguageModels.embedded(target, LoadOptions.defaults().withThreads(threads), true, 32)) {
                SyntheticTasks.multipleChoice(taskDir, new SyntheticTasks.Options(names[t], shape.rows(), 5, CHOICES,
                        seed + 7L * t), Optional.of(teacher), Optional.of(new ModelTokenizer(Tokenizer.load(target))));
            }
            taskDirs.add(taskDir);
        }
        StringBuilder yaml = new StringBuilder("# Two tasks labelled by two hidden per-layer recipes of ")
                .append(shape.fineTunes()).append(" fine-tunes: their scores conflict.\ngenome:\n  models:\n");
        for (String m : models) {
            yaml.append("    - ").append(DemoFiles.quoted(Path.of(m))).append('\n');
        }
        yaml.append("  merge_method: task_arithmetic\n  base_model: ").append(DemoFiles.quoted(base))
                .append("\n  layer_granularity: 1\ntasks:\n");
        for (String n : names) {
            yaml.append("  - name: ").append(n).append("\n    metric: \"acc,none\"\n");
        }
        Path genomeFile = dir.resolve("genome-wide-two-tasks.yml");
        DemoFiles.write(genomeFile, yaml.toString());
        return new Setup(genomeFile, taskDirs, List.of(names), genome, recipes[0], recipes[1]);
    }
}
