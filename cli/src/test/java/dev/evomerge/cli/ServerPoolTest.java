package dev.evomerge.cli;

import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthArch;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.eval.reload.ServerEndpoint;
import dev.evomerge.evolve.demo.HiddenRecipe;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.store.RunStore;
import dev.evomerge.server.OpenAiServer;
import dev.evomerge.server.ReloadIgnoringWeightUpdates;
import dev.evomerge.server.ServedModel;
import dev.evomerge.server.ServerOptions;
import dev.evomerge.server.WeightUpdates;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * `evomerge evolve --eval-server URL` on real `evomerge serve` servers (in this JVM, over HTTP on 127.0.0.1): each
 * candidate is reloaded into a running server and scored exactly as the in-memory path scores it; a server that dies
 * mid-candidate or keeps its old weights is taken out with one line and its candidate evaluated by another; a refused
 * reload fails the candidate; run.db keeps every candidate and no scratch copy is left.
 */
class ServerPoolTest {

    private final List<OpenAiServer> servers = new ArrayList<>();
    private final List<ServedModel> models = new ArrayList<>();

    @AfterEach
    void stopServers() {
        servers.forEach(OpenAiServer::close);
        models.forEach(ServedModel::close);
    }

    /** A server on {@code model} with the given handling of weight updates; returns its URL. */
    private String serve(Path model, WeightUpdates updates) {
        ServedModel m = ServedModel.load(model, "served", LoadOptions.defaults().withThreads(1));
        models.add(m);
        OpenAiServer s = OpenAiServer.start(m, ServerOptions.localDefaults(), updates);
        servers.add(s);
        return s.baseUrl();
    }

    /** Updates in place, except that the n-th (from 1) kills the server before it answers. */
    private WeightUpdates killedAtUpdate(int n, OpenAiServer[] self) {
        AtomicInteger count = new AtomicInteger();
        WeightUpdates inPlace = WeightUpdates.inPlace();
        return (served, dir) -> {
            if (count.incrementAndGet() == n) {
                self[0].close(); // what a crash looks like from outside: the connection drops, the port closes
            }
            return inPlace.update(served, dir);
        };
    }

    /** Two generations of three candidates, evaluated with the extra options. */
    private static List<String> evolve(HiddenRecipe.Setup setup, Path storage, Path scratch, String... extra) {
        return evolve(1, setup, storage, scratch, extra);
    }

    private static List<String> evolve(int maxGeneration, HiddenRecipe.Setup setup, Path storage, Path scratch,
                                       String... extra) {
        List<String> args = new ArrayList<>(List.of("evolve", setup.genomeFile().toString(), "--storage-path",
                storage.toString(), "--optimizer", "cmaes", "--max-generation", "" + maxGeneration,
                "--force-population-size", "3",
                "--random-seed", "11", "--quiet", "--no-save-final-model", "-j", "1", "--include-path",
                setup.taskDir().toString()));
        if (scratch != null) {
            args.addAll(List.of("--scratch-dir", scratch.toString()));
        }
        args.addAll(Arrays.asList(extra));
        return args;
    }

    private static CliRun run(List<String> args) {
        return CliRun.run(args.toArray(String[]::new));
    }

    /** (generation/index) -> record, read through the run store. */
    private static Map<String, Evaluation> candidates(Path storage) {
        Map<String, Evaluation> out = new TreeMap<>();
        try (RunStore s = RunStore.openReadOnly(storage)) {
            for (Evaluation r : s.allCandidates()) {
                out.put(r.candidate().generation() + "/" + r.candidate().index(), r);
            }
        }
        return out;
    }

    private static void assertNothingLeftIn(Path scratch) throws Exception {
        if (Files.exists(scratch)) {
            try (var left = Files.walk(scratch)) {
                assertThat(left.filter(p -> !p.equals(scratch)).toList()).as("left in %s", scratch).isEmpty();
            }
        }
    }

    /** A server's URL as the pool names it (and records it as the candidate's worker). */
    private static String root(String url) {
        return ServerEndpoint.parse(url, "--eval-server").toString();
    }

    private static long lines(String text, String containing) {
        return text.lines().filter(l -> l.contains(containing)).count();
    }

    @Test
    void everyCandidateScoresAsInMemoryOnTwoServersAndNoScratchCopyIsLeft(@TempDir Path dir) throws Exception {
        HiddenRecipe.Setup setup = HiddenRecipe.prepare(dir.resolve("demo"), 5, 12, 1);
        Path base = dir.resolve("demo/models/base");
        String a = serve(base, WeightUpdates.inPlace());
        String b = serve(base, WeightUpdates.inPlace());
        Path scratch = dir.resolve("scratch");
        CliRun pooled = run(evolve(setup, dir.resolve("pooled"), scratch, "--eval-server", a, "--eval-server", b));
        assertThat(pooled.exit()).as(pooled.err()).isZero();
        CliRun memory = run(evolve(setup, dir.resolve("memory"), null));
        assertThat(memory.exit()).as(memory.err()).isZero();

        Map<String, Evaluation> viaServers = candidates(dir.resolve("pooled"));
        Map<String, Evaluation> inMemory = candidates(dir.resolve("memory"));
        assertThat(viaServers.keySet()).containsExactly("0/0", "0/1", "0/2", "1/0", "1/1", "1/2");
        assertThat(inMemory.keySet()).isEqualTo(viaServers.keySet());
        for (String k : viaServers.keySet()) {
            Evaluation s = viaServers.get(k);
            Evaluation m = inMemory.get(k);
            assertThat(s.ok()).as("%s: %s", k, s.error()).isTrue();
            // equal fitness in generation 0 makes CMA-ES propose the same generation 1: the same genes in both runs
            assertThat(s.candidate().genes()).as(k).containsExactly(m.candidate().genes());
            assertThat(s.metrics()).as(k).isEqualTo(m.metrics());
            assertThat(s.score()).as(k).isEqualTo(m.score());
            assertThat(s.worker()).as(k).isIn(root(a), root(b));
        }
        assertThat(viaServers.values().stream().map(Evaluation::score).distinct().count()).isGreaterThan(1);
        assertThat(pooled.err()).doesNotContain("taken out");
        assertNothingLeftIn(scratch);
    }

    @Test
    void aServerKilledMidCandidateIsTakenOutAndItsCandidateGoesToTheOther(@TempDir Path dir) throws Exception {
        HiddenRecipe.Setup setup = HiddenRecipe.prepare(dir.resolve("demo"), 5, 12, 1);
        Path base = dir.resolve("demo/models/base");
        OpenAiServer[] dying = new OpenAiServer[1];
        String a = serve(base, killedAtUpdate(1, dying));
        dying[0] = servers.get(0);
        String b = serve(base, WeightUpdates.inPlace());
        Path scratch = dir.resolve("scratch");
        CliRun r = run(evolve(0, setup, dir.resolve("run"), scratch, "--eval-server", a, "--eval-server", b));

        assertThat(r.exit()).as(r.err()).isZero();
        String rootA = root(a);
        assertThat(lines(r.err(), "taken out of the pool")).as(r.err()).isEqualTo(1);
        // the first free server takes the first candidate: A, which dies while it loads it
        assertThat(r.err()).contains("evaluation server " + rootA + " taken out of the pool (1 server(s) left), candidate"
                + " 0/0 goes to another server: ");
        Map<String, Evaluation> all = candidates(dir.resolve("run"));
        assertThat(all).hasSize(3);
        assertThat(all.values()).allSatisfy(e -> {
            assertThat(e.ok()).as("%s", e.error()).isTrue();
            assertThat(e.worker()).isEqualTo(root(b));
        });
        assertNothingLeftIn(scratch);
    }

    @Test
    void aServerThatKeepsItsOldWeightsIsCaughtByTheProbeAndItsCandidateRetried(@TempDir Path dir) throws Exception {
        HiddenRecipe.Setup setup = HiddenRecipe.prepare(dir.resolve("demo"), 5, 12, 1);
        Path base = dir.resolve("demo/models/base");
        String liar = serve(base, new ReloadIgnoringWeightUpdates());
        String good = serve(base, WeightUpdates.inPlace());
        Path scratch = dir.resolve("scratch");
        CliRun r = run(evolve(0, setup, dir.resolve("run"), scratch, "--eval-server", liar, "--eval-server", good));

        assertThat(r.exit()).as(r.err()).isZero();
        String rootLiar = root(liar);
        assertThat(lines(r.err(), "taken out of the pool")).as(r.err()).isEqualTo(1);
        assertThat(r.err()).contains("evaluation server " + rootLiar + " taken out of the pool (1 server(s) left), candidate"
                + " 0/0 goes to another server: The server at " + rootLiar + " said it loaded ");
        Map<String, Evaluation> all = candidates(dir.resolve("run"));
        assertThat(all).hasSize(3);
        assertThat(all.values()).allSatisfy(e -> {
            assertThat(e.ok()).as("%s", e.error()).isTrue();
            assertThat(e.worker()).isEqualTo(root(good));
        });
        assertNothingLeftIn(scratch);
    }

    @Test
    void aRefusedReloadFailsTheCandidateAndTheServerStays(@TempDir Path dir) throws Exception {
        HiddenRecipe.Setup setup = HiddenRecipe.prepare(dir.resolve("demo"), 5, 12, 1);
        // a server of another shape (hidden size 32, not 64): every candidate's weights are refused with HTTP 400
        Path other = dir.resolve("other");
        ModelSynthesizer.write(new SynthModelSpec(SynthArch.LLAMA, 512, 32, 4, 4, 2, 96, DType.BF16, 7, false, false),
                other);
        String s = serve(other, WeightUpdates.inPlace());
        Path scratch = dir.resolve("scratch");
        CliRun r = run(evolve(0, setup, dir.resolve("run"), scratch, "--eval-server", s));

        assertThat(r.exit()).as(r.err()).isEqualTo(1);
        assertThat(r.err()).doesNotContain("taken out").contains("No candidate produced a score (3 evaluated, all failed)");
        Map<String, Evaluation> all = candidates(dir.resolve("run"));
        assertThat(all).hasSize(3);
        assertThat(all.values()).allSatisfy(e -> {
            assertThat(e.ok()).isFalse();
            assertThat(e.error()).startsWith("The server at " + root(s) + " refused to load ")
                    .contains("hidden_size 64 where the served model has 32");
        });
        assertNothingLeftIn(scratch);
    }

    @Test
    void withNoServerLeftTheRemainingCandidatesAreRecordedAsFailed(@TempDir Path dir) throws Exception {
        HiddenRecipe.Setup setup = HiddenRecipe.prepare(dir.resolve("demo"), 5, 12, 1);
        OpenAiServer[] dying = new OpenAiServer[1];
        String a = serve(dir.resolve("demo/models/base"), killedAtUpdate(2, dying));
        dying[0] = servers.get(0);
        Path scratch = dir.resolve("scratch");
        CliRun r = run(evolve(0, setup, dir.resolve("run"), scratch, "--eval-server", a));

        assertThat(lines(r.err(), "taken out of the pool")).as(r.err()).isEqualTo(1);
        assertThat(r.err()).contains("(0 server(s) left), candidate 0/1 is recorded as failed: ");
        Map<String, Evaluation> all = candidates(dir.resolve("run"));
        assertThat(all.get("0/0").ok()).as(all.get("0/0").error()).isTrue();
        assertThat(all.get("0/1").error()).startsWith("no evaluation server is left in the pool");
        assertThat(all.get("0/2").error()).startsWith("no evaluation server is left in the pool");
        assertNothingLeftIn(scratch);
    }

    @Test
    void aResumedRunKeepsItsServersFromRunDb(@TempDir Path dir) throws Exception {
        HiddenRecipe.Setup setup = HiddenRecipe.prepare(dir.resolve("demo"), 5, 12, 1);
        String a = serve(dir.resolve("demo/models/base"), WeightUpdates.inPlace());
        Path run = dir.resolve("run");
        CliRun first = run(evolve(0, setup, run, null, "--eval-server", a, "--eval-server-reload", "evomerge"));
        assertThat(first.exit()).as(first.err()).isZero();
        List<String> again = evolve(1, setup, run, null, "--resume"); // no --eval-server: run.db has it
        CliRun resumed = run(again);
        assertThat(resumed.exit()).as(resumed.err()).isZero();
        Map<String, Evaluation> all = candidates(run);
        assertThat(all.keySet()).containsExactly("0/0", "0/1", "0/2", "1/0", "1/1", "1/2");
        assertThat(all.values()).allSatisfy(e -> assertThat(e.worker()).isEqualTo(root(a)));
    }
}
