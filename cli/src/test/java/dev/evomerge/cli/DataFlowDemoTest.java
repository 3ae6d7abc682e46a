package dev.evomerge.cli;

import dev.evomerge.core.io.TextFiles;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.MergeConfigReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** `evomerge demo --space dfs` on a small problem: the whole data-flow path, in process, in seconds. */
class DataFlowDemoTest {

    @Test
    void theDataFlowDemoSearchesAPathAndPrintsTheHiddenAndTheFoundPath(@TempDir Path dir) {
        CliRun r = CliRun.run("demo", "--space", "dfs", "--work-dir", dir.resolve("work").toString(), "--rows", "16",
                "--max-generation", "1", "--force-population-size", "4", "--optimizer", "cmaes", "--quiet");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains("searching 20 genes (16 inclusion, 4 scaling) with cmaes, population 4, 2 generations")
                .contains("4. hidden path").contains("found path").contains("step  model  layer  input scale")
                .contains("gen  1 ");
        // the hidden path's table: A0, A1, A1, B2, A3 with its input scaled by 1.5
        assertThat(r.out()).containsPattern("\\s+2\\s+A\\s+1\\s+1\\.000\\n\\s+3\\s+B\\s+2\\s+1\\.000\\n\\s+4\\s+A\\s+3\\s+1\\.500");
        Matcher m = Pattern.compile("recovered fitness ([0-9.]+) = [0-9.]+% of the hidden path's 1\\.0000, after 8 evaluations")
                .matcher(r.out());
        assertThat(m.find()).as(r.out()).isTrue();
        MergeConfig best = MergeConfigReader.parse(TextFiles.readUtf8(dir.resolve("work/run/best_config.yaml"), "best"),
                "best", w -> { });
        assertThat(best.mergeMethod()).isEqualTo("passthrough");
        assertThat(dir.resolve("work/run/final_model/config.json")).exists();
    }

    @Test
    void anUnknownSpaceIsOneSentence(@TempDir Path dir) {
        CliRun r = CliRun.run("demo", "--space", "params", "--work-dir", dir.toString());
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("--space must be ps, dfs or ps+dfs, got 'params'.");
    }

    @Test
    void evolveRefusesAnUnknownSpace(@TempDir Path dir) {
        CliRun r = CliRun.run("evolve", dir.resolve("genome.yml").toString(), "--storage-path", dir.resolve("run").toString(),
                "--space", "both");
        assertThat(r.exit()).isNotZero();
        assertThat(r.err()).contains("--space must be ps, dfs or ps+dfs, got 'both'.");
    }
}
