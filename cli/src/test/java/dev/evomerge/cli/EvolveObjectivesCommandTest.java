package dev.evomerge.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** `evomerge evolve --objectives` and the genome file's objectives: list: what does not fit is one sentence, exit 2. */
class EvolveObjectivesCommandTest {

    static final String GENOME = "genome: {models: [DIR/a], merge_method: linear}\ntasks: [t, {name: u, metric: \"acc_norm,none\"}]\n";

    @Test
    void cmaesIsRefusedWithObjectivesGivenAsOneSpaceSeparatedValue(@TempDir Path dir) throws Exception {
        Path g = EvolveCommandTest.genome(dir, GENOME);
        CliRun r = CliRun.run("evolve", g.toString(), "--storage-path", dir.resolve("run").toString(), "--optimizer", "cmaes",
                "--objectives", "t u params");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("evomerge: --optimizer cmaes optimises one score and cannot follow several"
                + " objectives: use --optimizer nsga2, llm or random with --objectives, or drop the objectives for the"
                + " weighted sum.");
        assertThat(dir.resolve("run")).doesNotExist();
    }

    @Test
    void theGenomeFilesObjectivesAreCheckedAndNamedByTheFile(@TempDir Path dir) throws Exception {
        Path g = EvolveCommandTest.genome(dir, GENOME + "objectives: [t, layers]\n");
        CliRun r = CliRun.run("evolve", g.toString(), "--storage-path", dir.resolve("run").toString(), "--optimizer", "nsga2");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err().strip()).isEqualTo("evomerge: " + g + ": objectives: the objective 'layers' measures a data-flow"
                + " path, and multi-objective runs search merge"
                + " recipes only (--space ps): use task metrics and 'params'.");
        assertThat(r.err()).doesNotContain("unknown key");
    }

    @Test
    void llmMeansBelongsToTheLlmStrategyAndNsga2NeedsObjectives(@TempDir Path dir) throws Exception {
        Path g = EvolveCommandTest.genome(dir, GENOME);
        CliRun means = CliRun.run("evolve", g.toString(), "--storage-path", dir.resolve("run").toString(), "--optimizer",
                "random", "--objectives", "t", "--objectives", "u", "--llm-means", "3");
        assertThat(means.exit()).isEqualTo(2);
        assertThat(means.err().strip()).isEqualTo("evomerge: --llm-means sets how many means the llm strategy proposes:"
                + " use it with --optimizer llm, not random.");
        CliRun nsga2 = CliRun.run("evolve", g.toString(), "--storage-path", dir.resolve("run").toString(), "--optimizer", "nsga2");
        assertThat(nsga2.exit()).isEqualTo(2);
        assertThat(nsga2.err()).contains("--optimizer nsga2 needs two or more objectives");
        assertThat(dir.resolve("run")).doesNotExist();
    }

    @Test
    void combinationsTheLoopsDoNotSupportAreOneSentenceEachBeforeAnythingIsWritten(@TempDir Path dir) throws Exception {
        Path g = EvolveCommandTest.genome(dir, "genome: {models: [DIR/a], merge_method: linear}\ntasks: [toy_arc, toy_kobest_boolq]\n");
        String run = dir.resolve("run").toString();
        CliRun dfsFront = CliRun.run("evolve", g.toString(), "--storage-path", run, "--optimizer", "random",
                "--objectives", "toy_arc toy_kobest_boolq", "--space", "dfs");
        assertThat(dfsFront.exit()).isEqualTo(2);
        assertThat(dfsFront.err().strip()).isEqualTo("evomerge: --objectives works with --space ps only, got --space dfs.");
        CliRun dfsEstimate = CliRun.run("evolve", g.toString(), "--storage-path", run, "--optimizer", "random",
                "--space", "dfs", "--fitness-estimator", "subset", "--anchors", "2");
        assertThat(dfsEstimate.exit()).isEqualTo(2);
        assertThat(dfsEstimate.err().strip()).isEqualTo("evomerge: --space dfs needs --fitness-estimator full, got"
                + " --fitness-estimator subset.");
        CliRun frontEstimate = CliRun.run("evolve", g.toString(), "--storage-path", run, "--optimizer", "random",
                "--objectives", "toy_arc toy_kobest_boolq", "--fitness-estimator", "subset", "--anchors", "2");
        assertThat(frontEstimate.exit()).isEqualTo(2);
        assertThat(frontEstimate.err().strip()).isEqualTo("evomerge: --objectives needs --fitness-estimator full: a"
                + " Pareto front of estimated scores is not supported, got --fitness-estimator subset.");
        assertThat(dir.resolve("run")).doesNotExist();
    }
}
