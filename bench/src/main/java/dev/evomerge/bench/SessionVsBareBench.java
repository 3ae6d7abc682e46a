package dev.evomerge.bench;

import dev.evomerge.merge.*;
import dev.evomerge.merge.config.*;
import dev.evomerge.merge.exec.ResidentTensors;
import dev.evomerge.engine.*;
import dev.evomerge.engine.load.ModelLoader;
import java.nio.file.Path;
import java.util.*;

/** Throwaway: the real session's TA re-merge (resident and engine) against PanelStoreBench's bare loops, alternated. */
/**
 * Throwaway (docs/benchmarks.md, "Panel lines stored whole"): the real session's task_arithmetic re-merge into
 * resident tensors and into the engine's bf16 weights, alternated in one JVM with {@link PanelStoreBench}'s bare
 * row-major and scratch-and-pack loops over the same files. Usage: {@code SessionVsBareBench ROUNDS}.
 */
public final class SessionVsBareBench {
    public static void main(String[] a) throws Exception {
        int rounds = Integer.parseInt(a[0]);
        String dir = System.getProperty("models", "/tmp/big760m") + "/";
        String yaml = """
                merge_method: task_arithmetic
                base_model: %sbase
                models:
                  - {model: %sft1, parameters: {weight: 0.37}}
                  - {model: %sft2, parameters: {weight: 0.61}}
                dtype: bfloat16
                """.formatted(dir, dir, dir);
        MergeConfig cfg = MergeConfigReader.parse(yaml, "ta", w -> { });
        PanelStoreBench.main(new String[] {"1536", "1536", "0", "row,scratch"});
        try (MergeSession s = MergeSession.open(cfg, MergeOptions.defaults().withThreads(2).withRandomSeed(1L), MergeReporter.silent());
             ResidentTensors weights = new ResidentTensors(s.plan().outputs());
             CausalLanguageModel engine = ModelLoader.load(Path.of(dir + "base"), LoadOptions.defaults().withThreads(2).withWeightStorage(WeightStorage.BFLOAT16))) {
            Map<String, List<Double>> t = new LinkedHashMap<>();
            int panels = (int) PanelStoreBench.rows / 48;
            for (int r = -2; r < rounds; r++) {
                long t0 = System.nanoTime(); s.mergeInto(weights); double d1 = (System.nanoTime() - t0) / 1e9;
                TimedSink tm = new TimedSink(engine.weightSink()); t0 = System.nanoTime(); s.mergeInto(tm); double d2 = (System.nanoTime() - t0) / 1e9;
                t0 = System.nanoTime(); PanelStoreBench.run("row", panels); double d3 = (System.nanoTime() - t0) / 1e9;
                t0 = System.nanoTime(); PanelStoreBench.run("scratch", panels); double d4 = (System.nanoTime() - t0) / 1e9;
                if (r == rounds - 1) tm.report(); if (Boolean.getBoolean("engineOnly")) { for (int z = 0; z < 20; z++) s.mergeInto(engine.weightSink()); }
                if (r >= 0) {
                    t.computeIfAbsent("session resident", k -> new ArrayList<>()).add(d1);
                    t.computeIfAbsent("session engine", k -> new ArrayList<>()).add(d2);
                    t.computeIfAbsent("bare row", k -> new ArrayList<>()).add(d3);
                    t.computeIfAbsent("bare scratch+pack", k -> new ArrayList<>()).add(d4);
                }
            }
            for (var e : t.entrySet()) {
                List<Double> l = new ArrayList<>(e.getValue()); Collections.sort(l);
                System.out.printf(Locale.ROOT, "%-20s median %.3f s  min %.3f%n", e.getKey(), l.get(l.size() / 2), l.get(0));
            }
            System.out.println("input bytes " + s.plan().inputBytes() + ", bare elements x3 x2 = " + 6 * PanelStoreBench.rows * 1536);
        }
    }
}
