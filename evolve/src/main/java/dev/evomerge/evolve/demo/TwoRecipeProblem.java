package dev.evomerge.evolve.demo;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.tokenizer.Tokenizer;
import dev.evomerge.eval.model.LanguageModel;
import dev.evomerge.eval.model.LanguageModels;
import dev.evomerge.eval.model.ModelTokenizer;
import dev.evomerge.eval.synth.SyntheticTasks;
import dev.evomerge.merge.MergeOptions;
import dev.evomerge.merge.MergeReporter;
import dev.evomerge.merge.MergeSession;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A problem with two conflicting objectives, made offline from nothing: {@link HiddenRecipe}'s models and task, plus a
 * second multiple-choice task whose gold answers are the choices of the model a second hidden recipe merges to. The
 * recipes favour different fine-tunes in different layers, so no recipe scores best on both tasks: the answer is a
 * front, not one recipe.
 */
public final class TwoRecipeProblem {

    /** What {@link #prepare} wrote: the genome file names both tasks (weight 1 each, metric acc,none). */
    public record Setup(Path genomeFile, List<Path> taskDirs, List<String> taskNames, HiddenRecipe.Setup first,
                        double[] secondTargetGenes) {
    }

    /** The second hidden recipe: roughly the first one's mirror image. */
    public static final double[] SECOND_TARGET_GENES = {0.15, 0.80, 0.85, 0.10};

    private TwoRecipeProblem() {
    }

    /** Writes models, both tasks and the genome file under {@code dir} (which must not exist or be empty). */
    public static Setup prepare(Path dir, long seed, int rows, int threads) {
        HiddenRecipe.Setup first = HiddenRecipe.prepare(dir, seed, rows, threads);
        Path target = dir.resolve("models/hidden-target-b");
        MergeOptions mo = MergeOptions.defaults().withThreads(threads).withRandomSeed(seed).withBaseDirectory(dir);
        try (MergeSession s = MergeSession.open(first.genome().decode(SECOND_TARGET_GENES), mo, MergeReporter.silent())) {
            s.writeModel(target);
        }
        Path taskDir = dir.resolve("task-b");
        String taskName = "hidden_recipe_b_mc";
        try (LanguageModel teacher = LanguageModels.embedded(target, LoadOptions.defaults().withThreads(threads), true, 32)) {
            SyntheticTasks.multipleChoice(taskDir, new SyntheticTasks.Options(taskName, rows, 5, 4, seed + 7),
                    Optional.of(teacher), Optional.of(new ModelTokenizer(Tokenizer.load(target))));
        }
        Path genomeFile = dir.resolve("genome-two-tasks.yml");
        try {
            String one = Files.readString(first.genomeFile());
            Files.writeString(genomeFile, one.replace("# The demo's evolution: recover the hidden per-layer-group weights of"
                    + " two fine-tunes.", "# Two tasks labelled by two hidden recipes: their scores conflict.")
                    + "  - name: " + taskName + "\n    metric: \"acc,none\"\n");
        } catch (IOException e) {
            throw EvomergeException.runtime("Cannot write " + genomeFile + ": " + e.getMessage(), e);
        }
        return new Setup(genomeFile, List.of(first.taskDir(), taskDir), List.of(first.taskName(), taskName), first,
                SECOND_TARGET_GENES.clone());
    }
}
