package dev.evomerge.evolve.local;

import dev.evomerge.core.io.AtomicDirectory;
import dev.evomerge.evolve.CandidateEvaluationOptions;
import dev.evomerge.evolve.EvolutionLauncher;
import dev.evomerge.evolve.EvolveOptions;
import dev.evomerge.evolve.LlmOptions;
import dev.evomerge.evolve.OptimizerKind;
import dev.evomerge.evolve.SearchOptions;
import dev.evomerge.evolve.demo.HiddenRecipe;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.Evaluation;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** The on-disk slot with an evaluation server that fails to start. */
class OnDiskWorkerTest {

    @Test
    void aServerThatExitsBeforeAnsweringFailsTheCandidateWithItsOutputAndLeavesNoMerge(@TempDir Path dir) throws Exception {
        HiddenRecipe.Setup setup = HiddenRecipe.prepare(dir.resolve("demo"), 4, 8, 1);
        Path storage = dir.resolve("run");
        EvolveOptions o = new EvolveOptions(setup.genomeFile(), storage, false, SearchOptions.of(OptimizerKind.CMAES, 0, 7),
                LlmOptions.of("gpt-4o", null, null), new CandidateEvaluationOptions(LocalEvaluator.Strategy.SERIAL, false, 1,
                EvaluationBackend.OPENAI_COMPLETIONS, "echo \"no such model: {model}\" on port {port} >&2; exit 3",
                List.of(setup.taskDir()), null, 16, 1, null), false, false, false);
        EvolutionLauncher.Prepared p = new EvolutionLauncher(o, w -> { }).prepare();
        double[] genes = {0.5, 0.5, 0.5, 0.5};
        Candidate c = new Candidate(0, 1, genes, p.genome().decode(genes));
        // what a run killed with -9 while merging leaves: a candidate's hidden temporary whose lock nobody holds
        Path stale = Files.createDirectories(storage.resolve("merged").resolve(".candidate-0-0.tmp-00112233aabb"));
        Files.writeString(stale.resolve(AtomicDirectory.LOCK_FILE), "");
        List<String> warnings = new ArrayList<>();
        Evaluation e;
        try (OnDiskWorker w = new OnDiskWorker(p.settings(), "local-0", warnings::add)) {
            e = w.evaluate(c);
        }
        assertThat(stale).doesNotExist();
        assertThat(warnings).contains("Removed " + stale + ", an unfinished candidate directory of a process that is"
                + " gone.");
        Path merge = storage.resolve("merged").resolve("candidate-0-1");
        assertThat(e.ok()).isFalse();
        assertThat(e.error()).startsWith("The evaluation server exited with status 3 before answering at http://127.0.0.1:")
                .contains("Its output ended with:\nno such model: " + merge + " on port ");
        assertThat(e.metrics()).isEmpty();
        try (Stream<Path> left = Files.list(storage.resolve("merged"))) {
            assertThat(left.toList()).isEmpty();
        }
    }
}
