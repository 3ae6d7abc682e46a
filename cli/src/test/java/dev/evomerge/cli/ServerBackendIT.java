package dev.evomerge.cli;

import dev.evomerge.evolve.demo.HiddenRecipe;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.MetricKey;
import dev.evomerge.evolve.store.RunStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * `evomerge evolve --no-in-memory --backend openai-completions` starts `evomerge serve` per candidate: every candidate
 * is scored through the server exactly as the in-memory embedded evaluation scores the same genes, and no merge or
 * server process is left behind.
 */
class ServerBackendIT {

    static List<String> evolve(Path genome, Path storage, Path taskDir, String... extra) {
        List<String> cmd = new java.util.ArrayList<>(List.of("/bin/bash", LauncherIT.repoRoot().resolve("evomerge").toString(),
                "evolve", genome.toString(), "--storage-path", storage.toString(), "--optimizer", "cmaes",
                "--max-generation", "1", "--force-population-size", "2", "--random-seed", "11", "--quiet",
                "--no-save-final-model", "-j", "1", "--include-path", taskDir.toString()));
        cmd.addAll(List.of(extra));
        return cmd;
    }

    static String run(List<String> cmd, Path log) throws Exception {
        Process p = EvolveResumeIT.start(cmd, log);
        assertThat(p.waitFor(3, TimeUnit.MINUTES)).as("evolve finished").isTrue();
        String out = Files.readString(log);
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }

    /** (generation/index) -> record, read through the run store. */
    static Map<String, Evaluation> candidates(Path storage) {
        Map<String, Evaluation> out = new TreeMap<>();
        try (RunStore s = RunStore.openReadOnly(storage)) {
            for (Evaluation r : s.allCandidates()) {
                out.put(r.candidate().generation() + "/" + r.candidate().index(), r);
            }
        }
        return out;
    }

    /** Live processes whose command line names a merge of this run (the per-candidate servers). */
    static List<String> serversOf(Path storage) {
        String marker = storage.resolve("merged").toString();
        return ProcessHandle.allProcesses().filter(ProcessHandle::isAlive)
                .map(h -> h.info().commandLine().orElse(""))
                .filter(c -> c.contains(marker)).toList();
    }

    @Test
    void candidatesScoredThroughAServerPerCandidateMatchTheInMemoryEmbeddedScores(@TempDir Path dir) throws Exception {
        HiddenRecipe.Setup setup = HiddenRecipe.prepare(dir.resolve("demo"), 5, 24, 1);
        String serve = "/bin/bash " + LauncherIT.repoRoot().resolve("evomerge") + " serve {model} --port {port} --threads 1";

        Path served = dir.resolve("served");
        Path memory = dir.resolve("memory");
        // The in-memory reference run shares nothing with the served one (its own storage, one thread), and the served
        // run mostly waits for its servers to start: the two run side by side.
        long t0 = System.nanoTime();
        Process reference = EvolveResumeIT.start(evolve(setup.genomeFile(), memory, setup.taskDir()), dir.resolve("memory.log"));
        String log = run(evolve(setup.genomeFile(), served, setup.taskDir(), "--no-in-memory", "--backend",
                "openai-completions", "--eval-server-cmd", serve, "--strategy", "serial"), dir.resolve("served.log"));
        long t1 = System.nanoTime();
        assertThat(reference.waitFor(3, TimeUnit.MINUTES)).as("evolve finished").isTrue();
        assertThat(reference.exitValue()).as(Files.readString(dir.resolve("memory.log"))).isZero();
        // for the record (not asserted): the cost of a server per candidate, with the in-memory run beside it
        System.out.printf(java.util.Locale.ROOT, "evolve through servers %.1f s (in-memory run alongside), both %.1f s%n",
                (t1 - t0) / 1e9, (System.nanoTime() - t0) / 1e9);

        Map<String, Evaluation> viaServer = candidates(served);
        Map<String, Evaluation> inMemory = candidates(memory);
        // generations 0 and 1, population 2
        assertThat(viaServer.keySet()).containsExactly("0/0", "0/1", "1/0", "1/1");
        assertThat(inMemory.keySet()).isEqualTo(viaServer.keySet());
        MetricKey acc = new MetricKey(setup.taskName(), "acc,none");
        for (String k : viaServer.keySet()) {
            Evaluation s = viaServer.get(k);
            Evaluation m = inMemory.get(k);
            assertThat(s.ok()).as("%s: %s; log: %s", k, s.error(), log).isTrue();
            assertThat(m.ok()).as("%s: %s", k, m.error()).isTrue();
            // Equal fitness in generation 0 makes CMA-ES propose the same generation 1: the same genes in both runs.
            assertThat(s.candidate().genes()).as(k).containsExactly(m.candidate().genes());
            assertThat(s.metrics().keySet()).as(k).contains(acc).isEqualTo(m.metrics().keySet());
            for (var e : s.metrics().entrySet()) {
                double want = m.metrics().get(e.getKey());
                if (e.getKey().metric().startsWith("acc")) {
                    // accuracies are counts over 24 questions: any differing answer shows
                    assertThat(e.getValue()).as("%s %s", k, e.getKey()).isEqualTo(want);
                } else {
                    assertThat(e.getValue()).as("%s %s", k, e.getKey()).isCloseTo(want, within(1e-6 * Math.abs(want))); // relative
                }
            }
            assertThat(s.score()).as(k).isEqualTo(m.score()).isEqualTo(s.metrics().get(acc));
        }
        // Accuracies over 24 questions are multiples of 1/24; the scores are not all alike (the search sees a signal).
        assertThat(viaServer.values()).allSatisfy(r -> assertThat(r.score() * 24).isCloseTo(Math.rint(r.score() * 24), within(1e-9)));
        assertThat(viaServer.values().stream().map(Evaluation::score).distinct().count()).isGreaterThan(1);

        Path merged = served.resolve("merged");
        assertThat(merged).isDirectory();
        try (Stream<Path> left = Files.list(merged)) {
            assertThat(left.toList()).as("merges left under %s", merged).isEmpty();
        }
        assertThat(serversOf(served)).as("servers still running").isEmpty();
    }
}
