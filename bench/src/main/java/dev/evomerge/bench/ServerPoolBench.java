package dev.evomerge.bench;

import dev.evomerge.eval.reload.InJvmProbe;
import dev.evomerge.eval.reload.ProbeLogprobs;
import dev.evomerge.eval.reload.ProbeSettings;
import dev.evomerge.eval.reload.ReloadOutcome;
import dev.evomerge.eval.reload.ReloadProbe;
import dev.evomerge.eval.reload.ReloadProtocols;
import dev.evomerge.eval.reload.ServerEndpoint;
import dev.evomerge.evolve.CandidateEvaluationOptions;
import dev.evomerge.evolve.EvolutionLauncher;
import dev.evomerge.evolve.EvolveOptions;
import dev.evomerge.evolve.LlmOptions;
import dev.evomerge.evolve.OptimizerKind;
import dev.evomerge.evolve.SearchOptions;
import dev.evomerge.evolve.demo.HiddenRecipe;
import dev.evomerge.evolve.local.EvaluationBackend;
import dev.evomerge.evolve.local.LocalEvaluator;
import dev.evomerge.evolve.local.Trees;
import dev.evomerge.evolve.pool.ServerPoolEvaluator;
import dev.evomerge.evolve.pool.ServerPoolOptions;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.merge.MergeOptions;
import dev.evomerge.merge.KeptMergeSession;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.MergeConfigReader;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * The server pool's cost per candidate, without the evaluation itself.
 *
 * <p>{@code reload BASE FT1 FT2 WORKDIR "SERVE_CMD"}: task_arithmetic candidates of BASE with two fine-tunes, each
 * (1) merged to /dev/shm, given its in-JVM probe reference (as the pool's merger does, on one kept model), reloaded
 * into one running server ({@code POST /update_weights_from_disk}) and probed (the answer checked against the
 * reference), and (2) merged to WORKDIR, served by a server started for it (SERVE_CMD with {model} and {port}, as
 * {@code --eval-server-cmd}) until its /v1/models answers, probed, stopped. Each path keeps one merge session across
 * its candidates ({@link KeptMergeSession}, as the pool and the on-disk slots do). Same candidates, same probe,
 * in one run; the ratio is printed with and without the reference (which the fresh path does not compute).
 *
 * <p>{@code dispatch WORKDIR "SERVE_CMD"}: the pool on the demo's small models, 8 candidates on one server and on two
 * (each started once with SERVE_CMD): the wall time, and the time a server waits per candidate between two of its
 * evaluations ((servers x wall - sum of the candidates' evaluation times) / candidates).
 */
public final class ServerPoolBench {

    /**
     * Five, so that the median is a warm candidate's, as nearly all of an evolution's are: the first is cold (inputs
     * read from disk, the probe model loaded, JIT) and the second still runs the in-place write of the kept probe
     * model for the first time (1.5 s against 0.65 s for the next ones at 760M, near-quiet).
     */
    private static final int CANDIDATES = 5;
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    /** Clock ticks per second of /proc/PID/stat's utime and stime (USER_HZ, 100 on Linux). */
    private static final double TICKS = 100.0;

    private ServerPoolBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length >= 5 && args[0].equals("reload")) {
            reload(Path.of(args[1]), Path.of(args[2]), Path.of(args[3]), Path.of(args[4]), args[5]);
        } else if (args.length >= 3 && args[0].equals("dispatch")) {
            dispatch(Path.of(args[1]), args[2]);
        } else {
            System.err.println("usage: ServerPoolBench reload BASE FT1 FT2 WORKDIR \"SERVE_CMD {model} {port}\" | "
                    + "dispatch WORKDIR \"SERVE_CMD {model} {port}\"");
            System.exit(2);
        }
    }

    private static void reload(Path base, Path ft1, Path ft2, Path work, String serveCmd) throws Exception {
        Files.createDirectories(work);
        SplittableRandom rnd = new SplittableRandom(7);
        List<MergeConfig> configs = new ArrayList<>();
        for (int i = 0; i < CANDIDATES; i++) {
            String yaml = "merge_method: task_arithmetic\nbase_model: " + base + "\ndtype: bfloat16\nmodels:\n"
                    + "  - model: " + ft1 + "\n    parameters: {weight: " + rnd.nextDouble() + "}\n"
                    + "  - model: " + ft2 + "\n    parameters: {weight: " + rnd.nextDouble() + "}\n";
            configs.add(MergeConfigReader.parse(yaml, "candidate-" + i, w -> { }));
        }
        MergeOptions mo = MergeOptions.defaults().withThreads(2);
        Path shm = Files.createDirectories(Path.of("/dev/shm/evomerge-serverpool-bench"));
        // the pool's probe: ReloadProbe.PROMPT as token ids of the models' shared tokenizer, computed once per server
        int[] probeTokens = ReloadProbe.promptTokens(base);

        // (1) one server, started once (not timed), each candidate reloaded into it
        int port = freePort();
        Process server = start(serveCmd, base, port, work.resolve("server.log"));
        double[][] pooled = new double[CANDIDATES][];
        double[][] pooledCpu = new double[CANDIDATES][];
        // each path keeps one merge session across its candidates, as the pool and the on-disk slots do
        KeptMergeSession pooledWriter = new KeptMergeSession(mo);
        InJvmProbe inJvm = InJvmProbe.kept();
        try {
            String url = "http://127.0.0.1:" + port;
            double startup = awaitModels(url, server);
            System.out.printf(Locale.ROOT, "long-lived server started in %.1f s (not counted)%n", startup);
            ServerEndpoint endpoint = ServerEndpoint.parse(url, "bench");
            String modelId = models(url);
            for (int i = 0; i < CANDIDATES; i++) {
                Path dir = shm.resolve("candidate-" + i);
                Clock c = new Clock(server);
                pooledWriter.write(configs.get(i), dir);
                c.lap();
                // what the pool checks the server's probe against (ReloadingServer, candidates up to 1B parameters)
                ProbeLogprobs reference = inJvm.of(dir, probeTokens);
                c.lap();
                ReloadOutcome o = ReloadProtocols.evomerge().reload(endpoint, dir);
                if (!o.loaded()) {
                    throw new IllegalStateException(o.message());
                }
                c.lap();
                ProbeLogprobs served = ReloadProbe.served(endpoint, modelId, probeTokens);
                double p = Arrays.stream(served.logprobs()).sum();
                if (served.meanAbsDifference(reference) > ProbeSettings.DEFAULT_MAX_MEAN_ABS_DIFFERENCE) {
                    throw new IllegalStateException("the server's probe differs from the in-JVM reference by "
                            + served.meanAbsDifference(reference));
                }
                c.lap();
                Trees.delete(dir);
                c.lap();
                pooled[i] = c.wall();
                pooledCpu[i] = c.cpu();
                c.print("reload  ", i, List.of("merge+write", "in-JVM reference", "reload", "probe", "delete"), p);
            }
        } finally {
            pooledWriter.close();
            inJvm.close();
            stop(server);
            Trees.delete(shm);
        }

        // (2) a fresh server per candidate, as --eval-server-cmd does: merged to the work folder (STORAGE/merged)
        double[][] fresh = new double[CANDIDATES][];
        double[][] freshCpu = new double[CANDIDATES][];
        KeptMergeSession freshWriter = new KeptMergeSession(mo);
        for (int i = 0; i < CANDIDATES; i++) {
            Path dir = work.resolve("merged/candidate-" + i);
            Clock c = new Clock(null);
            freshWriter.write(configs.get(i), dir);
            c.lap();
            int p0 = freePort();
            Process s = start(serveCmd, dir, p0, work.resolve("fresh.log"));
            c.watch(s);
            String url = "http://127.0.0.1:" + p0;
            double p;
            try {
                awaitModels(url, s);
                c.lap();
                p = probe(ServerEndpoint.parse(url, "bench"), models(url), probeTokens);
                c.lap();
            } finally {
                c.watch(null); // the server's CPU until it is asked to stop; its shutdown is not counted
                stop(s);
            }
            Trees.delete(dir);
            c.lap();
            fresh[i] = c.wall();
            freshCpu[i] = c.cpu();
            c.print("fresh   ", i, List.of("merge+write", "start+load", "probe", "stop+delete"), p);
        }
        freshWriter.close();
        double a = median(pooled, 5);
        double b = median(fresh, 4);
        double ac = median(pooledCpu, 5);
        double bc = median(freshCpu, 4);
        // the protocol's own cost: the in-JVM reference (column 1) left out, as the fresh path makes none
        double[][] protocol = withoutColumn(pooled, 1);
        double[][] protocolCpu = withoutColumn(pooledCpu, 1);
        double a0 = median(protocol, 4);
        double ac0 = median(protocolCpu, 4);
        System.out.printf(Locale.ROOT, "median per candidate without evaluation, wall: reload %.2f s (%.2f s without"
                + " the in-JVM reference), fresh server %.2f s, ratio %.1fx (%.1fx)%n", a, a0, b, b / a, b / a0);
        System.out.printf(Locale.ROOT, "median per candidate without evaluation, CPU (this JVM + the server's"
                + " processes): reload %.2f s (%.2f s without the in-JVM reference), fresh server %.2f s, ratio"
                + " %.1fx (%.1fx)%n", ac, ac0, bc, bc / ac, bc / ac0);
        System.out.printf(Locale.ROOT, "load average at the end: %.1f%n", OS.getSystemLoadAverage());
    }

    /**
     * Wall and CPU seconds of the steps of one candidate: the CPU is this JVM's (the merge, the HTTP client) plus
     * that of the server's process tree being watched (/proc/PID/stat utime + stime), which under load varies less
     * than the wall time.
     */
    private static final class Clock {
        private final List<double[]> laps = new ArrayList<>();
        private long wall = System.nanoTime();
        private double serverBase;
        private Process server;
        private double serverSpent;
        private double own = OS.getProcessCpuTime() / 1e9;

        Clock(Process server) {
            watch(server);
        }

        /** From now on, counts the CPU of {@code p}'s process tree (null: stops counting the current one). */
        void watch(Process p) {
            if (server != null) {
                serverSpent += cpuOf(server) - serverBase;
            }
            server = p;
            serverBase = p == null ? 0 : cpuOf(p);
        }

        void lap() {
            long now = System.nanoTime();
            double ownNow = OS.getProcessCpuTime() / 1e9;
            double serverNow = server == null ? 0 : cpuOf(server);
            laps.add(new double[]{(now - wall) / 1e9, ownNow - own + serverSpent + serverNow - serverBase});
            wall = now;
            own = ownNow;
            serverSpent = 0;
            serverBase = serverNow;
        }

        double[] wall() {
            return column(0);
        }

        double[] cpu() {
            return column(1);
        }

        /** The steps' figures, then their total. */
        private double[] column(int k) {
            double[] v = new double[laps.size() + 1];
            for (int i = 0; i < laps.size(); i++) {
                v[i] = laps.get(i)[k];
                v[laps.size()] += v[i];
            }
            return v;
        }

        /** One line: each step's wall and CPU seconds under its name, the total, and the probe's logprob sum. */
        void print(String path, int candidate, List<String> steps, double probe) {
            StringBuilder line = new StringBuilder(path + " candidate " + candidate + ":");
            double[] w = wall();
            double[] c = cpu();
            for (int i = 0; i <= steps.size(); i++) {
                line.append(String.format(Locale.ROOT, " %s %.2f s (CPU %.2f s)%s",
                        i < steps.size() ? steps.get(i) : "total", w[i], c[i], i < steps.size() ? "," : ""));
            }
            System.out.println(line.append(String.format(Locale.ROOT, " (probe %.6f)", probe)));
        }
    }

    /** CPU seconds of a process and its descendants so far (0 for those already gone). */
    private static double cpuOf(Process p) {
        double sum = 0;
        List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
        tree.add(p.toHandle());
        for (ProcessHandle h : tree) {
            try {
                String stat = Files.readString(Path.of("/proc/" + h.pid() + "/stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                sum += (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS; // utime, stime
            } catch (IOException | RuntimeException gone) {
                // exited between the listing and the read
            }
        }
        return sum;
    }

    private static void dispatch(Path work, String serveCmd) throws Exception {
        HiddenRecipe.Setup setup = HiddenRecipe.prepare(work.resolve("demo"), 5, 8, 1);
        Path base = work.resolve("demo/models/base");
        List<Process> servers = new ArrayList<>();
        List<String> urls = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                int port = freePort();
                Process p = start(serveCmd, base, port, work.resolve("server-" + i + ".log"));
                servers.add(p);
                urls.add("http://127.0.0.1:" + port);
                awaitModels(urls.get(i), p);
            }
            for (int n : new int[]{1, 2}) {
                Path storage = work.resolve("run-" + n);
                EvolveOptions o = new EvolveOptions(setup.genomeFile(), storage, false,
                        SearchOptions.of(OptimizerKind.RANDOM, 0, 3), LlmOptions.of("gpt-4o", null, null),
                        new CandidateEvaluationOptions(LocalEvaluator.Strategy.POOL, true, 1, EvaluationBackend.EMBEDDED,
                                null, List.of(setup.taskDir()), null, 16, 1, null,
                                new ServerPoolOptions(urls.subList(0, n), "evomerge", null)), false, false, false);
                EvolutionLauncher.Prepared p = new EvolutionLauncher(o, w -> { }).prepare();
                SplittableRandom rnd = new SplittableRandom(11);
                List<Candidate> cs = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    double[] genes = new double[p.genome().layout().size()];
                    Arrays.setAll(genes, g -> rnd.nextDouble());
                    cs.add(new Candidate(0, i, genes, p.genome().decode(genes)));
                }
                try (ServerPoolEvaluator pool = new ServerPoolEvaluator(p.settings(), o.evaluation().serverPool(),
                        System.err::println)) {
                    pool.evaluate(cs.subList(0, 1), e -> { }); // warm-up: the probe of each server, JIT
                    List<Evaluation> done = new ArrayList<>();
                    long t0 = System.nanoTime();
                    pool.evaluate(cs, done::add);
                    double wall = (System.nanoTime() - t0) / 1e9;
                    double evalSum = done.stream().mapToDouble(Evaluation::evalSeconds).sum();
                    double mergeSum = done.stream().mapToDouble(Evaluation::mergeSeconds).sum();
                    // the evaluator reports metrics with a NaN score (the run applies the fitness): failed = an error
                    long failed = done.stream().filter(e -> e.error() != null).count();
                    done.stream().filter(e -> e.error() != null).findFirst().ifPresent(e -> System.out.println(
                            "first failure: " + e.error()));
                    System.out.printf(Locale.ROOT, "%d server(s): 8 candidates in %.2f s (%.3f s each), merge %.3f s and"
                            + " reload+probe+score %.3f s per candidate, a server waits %.3f s per candidate, %d failed%n",
                            n, wall, wall / 8, mergeSum / 8, evalSum / 8, (n * wall - evalSum) / 8, failed);
                }
            }
        } finally {
            servers.forEach(ServerPoolBench::stop);
        }
    }

    /** The pool's probe request (ReloadProbe.served); returns the sum of the prompt's token logprobs. */
    private static double probe(ServerEndpoint endpoint, String modelId, int[] tokens) throws Exception {
        ProbeLogprobs p = ReloadProbe.served(endpoint, modelId, tokens);
        return Arrays.stream(p.logprobs()).sum();
    }

    private static String models(String url) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            String body = http.send(HttpRequest.newBuilder(URI.create(url + "/v1/models")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(body).path("data").path(0).path("id").asText();
        }
    }

    private static Process start(String cmd, Path model, int port, Path log) throws IOException {
        return new ProcessBuilder("/bin/sh", "-c", cmd.replace("{model}", model.toString())
                .replace("{port}", String.valueOf(port))).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    /** Polls /v1/models every 50 ms until it answers; returns the seconds it took. */
    private static double awaitModels(String url, Process p) throws Exception {
        long t0 = System.nanoTime();
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
            while (true) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("the server exited with " + p.exitValue());
                }
                try {
                    if (http.send(HttpRequest.newBuilder(URI.create(url + "/v1/models")).build(),
                            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                        return (System.nanoTime() - t0) / 1e9;
                    }
                } catch (IOException notYet) {
                    // still starting
                }
                Thread.sleep(50);
            }
        }
    }

    private static void stop(Process p) {
        List<ProcessHandle> tree = new ArrayList<>(p.descendants().toList());
        tree.add(p.toHandle());
        tree.forEach(ProcessHandle::destroy);
        for (ProcessHandle h : tree) {
            try {
                h.onExit().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                h.destroyForcibly();
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** Each row without {@code column}, its total (the last value) less that column's value. */
    private static double[][] withoutColumn(double[][] rows, int column) {
        double[][] out = new double[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            double[] r = rows[i];
            double[] o = new double[r.length - 1];
            for (int k = 0, j = 0; k < r.length; k++) {
                if (k != column) {
                    o[j++] = r[k];
                }
            }
            o[o.length - 1] -= r[column];
            out[i] = o;
        }
        return out;
    }

    private static double median(double[][] rows, int column) {
        double[] v = Arrays.stream(rows).mapToDouble(r -> r[column]).sorted().toArray();
        return v[v.length / 2];
    }
}
