package dev.evomerge.bench;

import dev.evomerge.merge.*;
import dev.evomerge.merge.config.*;
import dev.evomerge.merge.exec.ResidentTensors;
import java.util.*;

/** Throwaway: ties re-merges into resident tensors, N times, each timed. */
/**
 * Throwaway (docs/benchmarks.md, "Panel lines stored whole"): N re-merges of the 760M models (-Dmodels=DIR) into
 * resident tensors with one session, each timed; METHOD (default ties, weights 0.4 / 0.3, density 0.5),
 * -Dnormalize=false to switch normalize off, -Dhash=true to print the SHA-256 of the merged weights.
 * Usage: {@code SessionRemergeBench N [METHOD]}.
 */
public final class SessionRemergeBench {
    public static void main(String[] a) throws Exception {
        int n = Integer.parseInt(a[0]);
        String method = a.length > 1 ? a[1] : "ties";
        String dir = System.getProperty("models", "/tmp/big760m") + "/";
        String yaml = """
                merge_method: %s
                base_model: %sbase
                models:
                  - {model: %sft1, parameters: {weight: 0.4, density: 0.5}}
                  - {model: %sft2, parameters: {weight: 0.3, density: 0.5}}
                dtype: bfloat16
                parameters: {normalize: %s}
                """.formatted(method, dir, dir, dir, System.getProperty("normalize", "true"));
        MergeConfig cfg = MergeConfigReader.parse(yaml, method, w -> { });
        try (MergeSession s = MergeSession.open(cfg, MergeOptions.defaults().withThreads(2).withRandomSeed(1L), MergeReporter.silent());
             ResidentTensors weights = new ResidentTensors(s.plan().outputs())) {
            List<Double> t = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                long t0 = System.nanoTime(); s.mergeInto(weights); t.add((System.nanoTime() - t0) / 1e9);
            }
            System.out.println(t);
            if (Boolean.getBoolean("hash")) {
                java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
                for (String name : weights.tensorNames()) {
                    md.update(name.getBytes());
                    md.update(weights.tensor(name).data().asByteBuffer());
                }
                System.out.println("sha256 " + java.util.HexFormat.of().formatHex(md.digest()));
            }
            List<Double> l = new ArrayList<>(t.subList(2, t.size())); Collections.sort(l);
            System.out.printf(Locale.ROOT, "%s median %.3f s min %.3f (after 2)%n", method, l.get(l.size() / 2), l.get(0));
        }
    }
}
