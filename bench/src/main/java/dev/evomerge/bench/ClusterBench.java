package dev.evomerge.bench;

import dev.evomerge.cluster.ClusterEvaluator;
import dev.evomerge.cluster.ClusterOptions;
import dev.evomerge.cluster.RunSpec;
import dev.evomerge.evolve.CandidateEvaluationOptions;
import dev.evomerge.evolve.EvolutionLauncher;
import dev.evomerge.evolve.EvolveOptions;
import dev.evomerge.evolve.LlmOptions;
import dev.evomerge.evolve.OptimizerKind;
import dev.evomerge.evolve.SearchOptions;
import dev.evomerge.evolve.demo.HiddenRecipe;
import dev.evomerge.evolve.genome.Genome;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.CandidateEvaluator;
import dev.evomerge.evolve.run.Evaluation;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Cluster evaluation throughput on the hidden-recipe demo (synthetic Llama models, real in-memory merge and
 * multiple-choice evaluation): candidates per minute evaluated in this process (no cluster), through one worker
 * process and through two, and the dispatch overhead per candidate: the coordinator-observed round trip of a single
 * candidate minus the merge and evaluation seconds the worker reports. Workers are separate JVMs started from the
 * application jar ({@code java ... -cp evomerge.jar dev.evomerge.cli.Main worker ...}), one slot each.
 *
 * <p>Usage: {@code ClusterBench WORKDIR --jar cli/target/evomerge.jar [--candidates N] [--rows R] [--warmup W]
 * [--threads T] [--keep]}. WORKDIR must be new or empty; it is deleted at the end unless {@code --keep}.
 */
public final class ClusterBench {

    private ClusterBench() {
    }

    /** One measured batch: wall seconds and the merge+eval seconds the workers reported, summed over candidates. */
    private record Batch(int candidates, double wallSeconds, double workSeconds, Map<String, Long> perWorker) {
        double perMinute() {
            return candidates * 60 / wallSeconds;
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: ClusterBench WORKDIR --jar cli/target/evomerge.jar [--candidates N] [--rows R] [--warmup W] [--threads T] [--keep]");
            System.exit(2);
        }
        Path work = Path.of(args[0]).toAbsolutePath();
        Path jar = Path.of("cli/target/evomerge.jar");
        int n = 48;
        int rows = 96;
        int warmup = 16;
        int threads = 1;
        boolean keep = false;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--jar" -> jar = Path.of(args[++i]);
                case "--candidates" -> n = Integer.parseInt(args[++i]);
                case "--rows" -> rows = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--threads" -> threads = Integer.parseInt(args[++i]);
                case "--keep" -> keep = true;
                default -> throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        jar = jar.toAbsolutePath();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalArgumentException(jar + " does not exist; build it with: mvn -pl cli -am package -DskipTests");
        }
        var os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        System.out.printf(Locale.ROOT, "machine: %d cores, Java %s, load average %.1f; %d candidates per measurement after %d warm-up "
                        + "candidates per evaluator, %d task rows, %d thread(s) per evaluator%n",
                Runtime.getRuntime().availableProcessors(), Runtime.version(), os.getSystemLoadAverage(), n, warmup, rows, threads);
        long t0 = System.nanoTime();
        HiddenRecipe.Setup setup = HiddenRecipe.prepare(work.resolve("demo"), 3, rows, 1);
        System.out.printf(Locale.ROOT, "demo models and task prepared in %.1f s%n", (System.nanoTime() - t0) / 1e9);

        EvolveOptions o = new EvolveOptions(setup.genomeFile(), work.resolve("run"), false,
                SearchOptions.of(OptimizerKind.RANDOM, 1, 3), LlmOptions.of("gpt-4o", "https://api.openai.com/v1", null),
                CandidateEvaluationOptions.inMemory(List.of(setup.taskDir()), 16, threads), false, false, false);
        EvolutionLauncher launcher = new EvolutionLauncher(o, w -> System.out.println("warning: " + w));
        EvolutionLauncher.Prepared p = launcher.prepare();
        List<String> inputs = new ArrayList<>(p.settings().modelPaths());
        inputs.addAll(p.settings().includePaths());
        RunSpec spec = new RunSpec("cluster-bench-" + ProcessHandle.current().pid(), Map.of("settings", p.settings().toJson()), inputs);
        SplittableRandom random = new SplittableRandom(11);
        int[] generation = {0};
        java.util.function.IntFunction<List<Candidate>> draw = k -> candidates(p.genome(), random, generation[0]++, k);

        List<Process> workers = new ArrayList<>();
        try {
            // In-process reference: the same evaluator the CLI uses without a cluster, one slot.
            Batch local;
            try (CandidateEvaluator le = launcher.localEvaluator(p)) {
                run(le, draw.apply(warmup));
                local = run(le, draw.apply(n));
            }

            String cluster = "evomerge-bench-" + ProcessHandle.current().pid();
            SplittableRandom portDraws = new SplittableRandom(ProcessHandle.current().pid());
            java.util.Set<Integer> given = new java.util.HashSet<>();
            int pc = freePort(portDraws, given);
            int p1 = freePort(portDraws, given);
            int p2 = freePort(portDraws, given);
            String members = "127.0.0.1:" + pc + ",127.0.0.1:" + p1 + ",127.0.0.1:" + p2;
            workers.add(startWorker(jar, work.resolve("worker-1.log"), cluster, members, p1, threads));
            List<String> log = new ArrayList<>();
            try (ClusterEvaluator ce = new ClusterEvaluator(new ClusterOptions(cluster, List.of(members.split(",")), "127.0.0.1", pc, false),
                    spec, Duration.ofHours(1), 2, m -> { synchronized (log) { log.add(m); } })) {
                require(ce.awaitWorkers(1, Duration.ofMinutes(3)), "worker 1 was not accepted: " + log);
                run(ce, draw.apply(warmup)); // builds the worker's resident model and warms its JIT

                // Dispatch overhead: one candidate at a time, so the round trip is exactly what the coordinator waits.
                double[] overhead = new double[n];
                double[] roundTrip = new double[n];
                for (int i = 0; i < n; i++) {
                    Batch b = run(ce, draw.apply(1));
                    roundTrip[i] = b.wallSeconds();
                    overhead[i] = b.wallSeconds() - b.workSeconds();
                }
                Batch one = run(ce, draw.apply(n));

                workers.add(startWorker(jar, work.resolve("worker-2.log"), cluster, members, p2, threads));
                require(ce.awaitWorkers(2, Duration.ofMinutes(3)), "worker 2 was not accepted: " + log);
                run(ce, draw.apply(2 * warmup)); // about half go to worker 2: its resident model and JIT warm-up
                Batch two = run(ce, draw.apply(n));

                report(local, one, two, roundTrip, overhead);
                System.out.printf(Locale.ROOT, "load average at the end: %.1f%n", os.getSystemLoadAverage());
            }
        } finally {
            for (Process w : workers) {
                w.destroy();
                if (!w.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    w.destroyForcibly();
                }
            }
            if (!keep) {
                delete(work);
            }
        }
    }

    private static void report(Batch local, Batch one, Batch two, double[] roundTrip, double[] overhead) {
        double[] rt = roundTrip.clone();
        double[] oh = overhead.clone();
        Arrays.sort(rt);
        Arrays.sort(oh);
        System.out.println();
        System.out.println("| evaluator | candidates/min | mean merge+eval s per candidate (worker-reported) | vs in-process |");
        System.out.println("|---|---|---|---|");
        row("in-process (no cluster), 1 slot", local, local);
        row("cluster, 1 worker process", one, local);
        row("cluster, 2 worker processes", two, local);
        System.out.printf(Locale.ROOT, "%n2 workers / 1 worker throughput: %.2fx (candidates per worker: %s)%n",
                two.perMinute() / one.perMinute(), two.perWorker());
        System.out.printf(Locale.ROOT, "1-worker batch: wall minus worker-reported work = %.1f ms per candidate%n",
                1000 * (one.wallSeconds() - one.workSeconds()) / one.candidates());
        System.out.printf(Locale.ROOT, "dispatch overhead per candidate (single-candidate round trip minus worker-reported merge+eval, %d samples): "
                        + "median %.1f ms, mean %.1f ms, p90 %.1f ms, min %.1f ms; median round trip %.1f ms, so overhead = %.1f %% of it%n",
                oh.length, 1000 * median(oh), 1000 * Arrays.stream(oh).average().orElse(Double.NaN), 1000 * oh[(int) Math.floor(0.9 * (oh.length - 1))],
                1000 * oh[0], 1000 * median(rt), 100 * median(oh) / median(rt));
    }

    private static void row(String name, Batch b, Batch local) {
        System.out.printf(Locale.ROOT, "| %s | %.1f | %.3f | %.2fx |%n", name, b.perMinute(), b.workSeconds() / b.candidates(),
                b.perMinute() / local.perMinute());
    }

    private static double median(double[] sorted) {
        int m = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
    }

    private static Batch run(CandidateEvaluator ev, List<Candidate> cs) {
        List<Evaluation> out = new ArrayList<>();
        long t = System.nanoTime();
        ev.evaluate(cs, e -> { synchronized (out) { out.add(e); } });
        double wall = (System.nanoTime() - t) / 1e9;
        require(out.size() == cs.size(), "expected " + cs.size() + " results, got " + out.size());
        double work = 0;
        Map<String, Long> perWorker = new java.util.TreeMap<>();
        for (Evaluation e : out) {
            require(e.error() == null, "candidate " + e.candidate().index() + " failed: " + e.error());
            work += e.mergeSeconds() + e.evalSeconds();
            perWorker.merge(e.worker(), 1L, Long::sum);
        }
        return new Batch(cs.size(), wall, work, perWorker);
    }

    private static List<Candidate> candidates(Genome genome, SplittableRandom random, int generation, int k) {
        List<Candidate> out = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            double[] genes = new double[genome.layout().size()];
            for (int j = 0; j < genes.length; j++) {
                genes[j] = random.nextDouble();
            }
            out.add(new Candidate(generation, i, genes, genome.decode(genes)));
        }
        return out;
    }

    /** {@code java <the launcher's JVM flags> -cp JAR dev.evomerge.cli.Main worker ...}, one slot. */
    private static Process startWorker(Path jar, Path log, String cluster, String members, int port, int threads) throws IOException {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "-Djava.awt.headless=true", "-Xmx1g",
                "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-Djava.util.logging.config.file=/dev/null",
                "-cp", jar.toString(), "dev.evomerge.cli.Main", "worker", "--cluster-name", cluster, "--members", members,
                "--port", String.valueOf(port), "--slots", "1", "-j", String.valueOf(threads));
        System.out.println("starting worker: " + String.join(" ", cmd));
        return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    }

    /** A free 127.0.0.1 port below Linux's ephemeral range, where no outgoing connection can take it first. */
    private static int freePort(SplittableRandom random, java.util.Set<Integer> given) throws IOException {
        for (int attempt = 0; attempt < 500; attempt++) {
            int port = 20_000 + random.nextInt(12_000);
            if (!given.add(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(false);
                s.bind(new java.net.InetSocketAddress("127.0.0.1", port));
                return port;
            } catch (IOException taken) {
                // try another
            }
        }
        throw new IOException("no free port between 20000 and 31999 on 127.0.0.1");
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalStateException(message);
        }
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }
}
