package dev.evomerge.cluster;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.MetricKey;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The bodies of the cluster's messages, in a fixed field order written and read by code here: no class is ever named
 * or instantiated from what arrives, and a body's bytes are exactly what its HMAC covers. Maps are written in key
 * order so that one value always has one encoding.
 */
final class Wire {

    private Wire() {
    }

    /** Builds one body. */
    static final class Out {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final DataOutputStream out = new DataOutputStream(bytes);

        Out string(String s) {
            if (s == null) {
                return write(() -> out.writeInt(-1));
            }
            return bytes(s.getBytes(StandardCharsets.UTF_8));
        }

        Out bytes(byte[] b) {
            return write(() -> {
                out.writeInt(b.length);
                out.write(b);
            });
        }

        Out int64(long v) {
            return write(() -> out.writeLong(v));
        }

        Out float64(double v) {
            return write(() -> out.writeDouble(v));
        }

        /** Runs one write on the in-memory stream, which only fails on a broken invariant. */
        private Out write(Write w) {
            try {
                w.run();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        /** One write to the body's stream. */
        @FunctionalInterface
        private interface Write {
            void run() throws IOException;
        }

        Out strings(Map<String, String> m) {
            int64(m.size());
            new TreeMap<>(m).forEach((k, v) -> string(k).string(v));
            return this;
        }

        Out runSpec(RunSpec spec) {
            string(spec.runId()).strings(spec.settings()).int64(spec.inputPaths().size());
            spec.inputPaths().forEach(this::string);
            return this;
        }

        Out candidate(Candidate c) {
            int64(c.generation()).int64(c.index()).int64(c.genes().length);
            for (double g : c.genes()) {
                float64(g);
            }
            return string(c.mergeYaml());
        }

        Out evaluation(Evaluation e) {
            candidate(e.candidate()).float64(e.score()).int64(e.metrics().size());
            e.metrics().forEach((k, v) -> string(k.text()).float64(v)); // sorted by the keys' text
            return string(e.error()).float64(e.mergeSeconds()).float64(e.evalSeconds()).string(e.worker());
        }

        byte[] toBytes() {
            return bytes.toByteArray();
        }
    }

    /** Reads one body; any malformed or oversized field is an {@link IOException}. */
    static final class In {
        private final DataInputStream in;
        private final int length;

        In(byte[] body) {
            this.in = new DataInputStream(new ByteArrayInputStream(body));
            this.length = body.length;
        }

        private int size() throws IOException {
            long n = in.readLong();
            if (n < 0 || n > length) {
                throw new IOException("a count of " + n + " in a body of " + length + " bytes");
            }
            return (int) n;
        }

        String string() throws IOException {
            int n = in.readInt();
            if (n == -1) {
                return null;
            }
            if (n < 0 || n > length) {
                throw new IOException("a string of " + n + " bytes in a body of " + length);
            }
            return new String(in.readNBytes(n), StandardCharsets.UTF_8);
        }

        byte[] bytes() throws IOException {
            int n = in.readInt();
            if (n < 0 || n > length) {
                throw new IOException("a byte field of " + n + " bytes in a body of " + length);
            }
            return in.readNBytes(n);
        }

        long int64() throws IOException {
            return in.readLong();
        }

        double float64() throws IOException {
            return in.readDouble();
        }

        Map<String, String> strings() throws IOException {
            int n = size();
            Map<String, String> m = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                m.put(string(), string());
            }
            return m;
        }

        RunSpec runSpec() throws IOException {
            String id = string();
            Map<String, String> settings = strings();
            int n = size();
            List<String> paths = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                paths.add(string());
            }
            return new RunSpec(id, settings, paths);
        }

        Candidate candidate() throws IOException {
            int generation = Math.toIntExact(int64());
            int index = Math.toIntExact(int64());
            double[] genes = new double[size()];
            for (int i = 0; i < genes.length; i++) {
                genes[i] = float64();
            }
            String yaml = string();
            if (yaml == null) {
                throw new IOException("a candidate without its merge config");
            }
            try {
                return Candidate.fromYaml(generation, index, genes, yaml, "candidate " + generation + "/" + index);
            } catch (EvomergeException e) {
                throw new IOException("a candidate whose merge config does not read: " + e.getMessage(), e);
            }
        }

        Evaluation evaluation() throws IOException {
            Candidate c = candidate();
            double score = float64();
            int n = size();
            Map<MetricKey, Double> metrics = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                metrics.put(metricKey(string()), float64());
            }
            return new Evaluation(c, score, metrics, string(), float64(), float64(), string());
        }

        private static MetricKey metricKey(String text) throws IOException {
            if (text == null) {
                throw new IOException("a metric without a key");
            }
            try {
                return MetricKey.parse(text);
            } catch (IllegalArgumentException e) {
                throw new IOException(e.getMessage(), e);
            }
        }

        /** The body must end here: trailing bytes mean it is not what it claims to be. */
        void end() throws IOException {
            if (in.read() != -1) {
                throw new IOException("trailing bytes after the body");
            }
        }
    }
}
