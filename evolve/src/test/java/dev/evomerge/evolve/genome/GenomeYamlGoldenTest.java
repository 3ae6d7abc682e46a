package dev.evomerge.evolve.genome;

import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.MergeConfigReader;
import dev.evomerge.merge.config.MergeConfigWriter;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The merge YAML a genome decodes to, byte for byte, over the evolvable methods and every genome switch: the texts in
 * {@code genome-yaml-golden.txt} were written by the untyped decoder and YAML writer evolution runs used before the
 * genome decoded to a {@link MergeConfig}, so best_config.yaml, stored candidates and resumed runs keep their exact
 * text. The config also reads back from its text to an equal config.
 */
class GenomeYamlGoldenTest {

    static final String RESOURCE = "genome-yaml-golden.txt";
    /** Starts each entry of the resource file; the rest of the line names the case and gene vector. */
    static final String MARK = "### ";

    /** One genome definition and the layer count it is validated against. */
    record Case(String name, GenomeDefinition def, int layers) {
    }

    static List<Case> cases() {
        List<Case> out = new ArrayList<>();
        List<String> two = List.of("/models/a", "org/model-b@main");
        List<String> three = List.of("/models/a", "org/model-b@main", "./models/c d");
        for (String m : List.of("linear", "task_arithmetic", "ties", "dare_ties", "dare_linear", "della", "breadcrumbs")) {
            out.add(new Case(m + "-plain", new GenomeDefinition(two, m, "/models/base", null, 0, null, false, false,
                    List.of()), 4));
            out.add(new Case(m + "-groups-filters-base-listed", new GenomeDefinition(three, m, "/models/a", "union", 2,
                    true, false, false, List.of("self_attn", "mlp")), 8));
            out.add(new Case(m + "-smooth-groups-negative", new GenomeDefinition(two, m, "/models/base", "base", 2,
                    false, true, true, List.of()), 6));
            out.add(new Case(m + "-smooth-one-group-filter", new GenomeDefinition(three, m, "/models/base",
                    "/models/a", 0, null, false, true, List.of("attn")), 4));
            out.add(new Case(m + "-each-layer-negative-filter", new GenomeDefinition(two, m, "/models/base", null, 1,
                    null, true, false, List.of("q_proj")), 3));
        }
        out.add(new Case("linear-no-base", new GenomeDefinition(three, "linear", null, null, 2, null, false, false,
                List.of()), 4));
        out.add(new Case("linear-smooth-no-base", new GenomeDefinition(two, "linear", null, null, 1, false, false, true,
                List.of()), 2));
        out.add(new Case("slerp-two", new GenomeDefinition(two, "slerp", null, null, 0, null, false, false, List.of()), 4));
        out.add(new Case("slerp-three-groups", new GenomeDefinition(three, "slerp", "/models/base", null, 2, null, false,
                false, List.of()), 8));
        out.add(new Case("slerp-tokenizer", new GenomeDefinition(three, "slerp", null, "/models/a", 1, true, true,
                false, List.of()), 3));
        return out;
    }

    /** Gene vectors per case: the initial genes, seeded uniform genes with edge values, and wider seeded genes. */
    static Map<String, double[]> geneVectors(Case c, Genome g) {
        Map<String, double[]> out = new LinkedHashMap<>();
        int n = g.layout().size();
        out.put("initial", g.initialGenes());
        Random r = new Random(c.name().hashCode());
        double[] uniform = new double[n];
        double[] edges = {1.0, 0.5, 1e-5, -0.25, 0.0, 1.5e-12, 2.0, -1.0};
        for (int i = 0; i < n; i++) {
            uniform[i] = i % 3 == 0 ? edges[(i / 3) % edges.length] : r.nextDouble();
        }
        out.put("uniform", uniform);
        double[] wide = new double[n];
        for (int i = 0; i < n; i++) {
            wide[i] = i == n - 1 ? edges[(i + 3) % edges.length] : r.nextGaussian() * 0.7 + 0.4;
        }
        out.put("wide", wide);
        double[] equal = new double[n];
        java.util.Arrays.fill(equal, 0.5);
        out.put("equal", equal);
        return out;
    }

    /** Every entry, in order: "case #vector" to the text the genome writes for it. */
    static Map<String, String> produce(java.util.function.BiFunction<Genome, double[], String> writer) {
        Map<String, String> out = new LinkedHashMap<>();
        for (Case c : cases()) {
            Genome g = new Genome(c.def(), c.layers());
            for (Map.Entry<String, double[]> v : geneVectors(c, g).entrySet()) {
                out.put(c.name() + " #" + v.getKey(), writer.apply(g, v.getValue()));
            }
        }
        return out;
    }

    static Map<String, String> golden() throws IOException {
        String text;
        try (InputStream in = GenomeYamlGoldenTest.class.getResourceAsStream(RESOURCE)) {
            assertThat(in).as(RESOURCE).isNotNull();
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        Map<String, String> out = new LinkedHashMap<>();
        String key = null;
        StringBuilder body = new StringBuilder();
        for (String line : text.split("\n", -1)) {
            if (line.startsWith(MARK)) {
                if (key != null) {
                    out.put(key, body.toString());
                }
                key = line.substring(MARK.length());
                body.setLength(0);
            } else if (key != null) {
                body.append(line).append('\n');
            }
        }
        if (key != null) {
            out.put(key, body.substring(0, Math.max(0, body.length() - 1)));
        }
        return out;
    }

    static String render(Map<String, String> entries) {
        StringBuilder sb = new StringBuilder();
        entries.forEach((k, v) -> sb.append(MARK).append(k).append('\n').append(v));
        return sb.toString();
    }

    @Test
    void everyGenomeWritesTheYamlItAlwaysHas() throws IOException {
        Map<String, String> expected = golden();
        Map<String, String> actual = produce((g, genes) -> MergeConfigWriter.toYaml(g.decode(genes)));
        assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
        for (String k : expected.keySet()) {
            assertThat(actual.get(k)).as(k).isEqualTo(expected.get(k));
        }
        assertThat(expected).hasSizeGreaterThan(150);
    }

    @Test
    void everyDecodedConfigReadsBackFromItsYamlToAnEqualConfig() {
        int checked = 0;
        for (Case c : cases()) {
            Genome g = new Genome(c.def(), c.layers());
            for (Map.Entry<String, double[]> v : geneVectors(c, g).entrySet()) {
                MergeConfig config = g.decode(v.getValue());
                String yaml = MergeConfigWriter.toYaml(config);
                MergeConfig read = MergeConfigReader.parse(yaml, c.name(), w -> {
                    throw new AssertionError(c.name() + ": " + w);
                });
                assertThat(read.sourceText()).isEqualTo(yaml);
                assertThat(read.withSourceText(null)).as(c.name() + " #" + v.getKey()).isEqualTo(config);
                checked++;
            }
        }
        assertThat(checked).isGreaterThan(150);
    }
}
