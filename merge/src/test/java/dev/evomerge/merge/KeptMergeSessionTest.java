package dev.evomerge.merge;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.MergeConfigReader;
import dev.evomerge.merge.output.ModelWriter;
import dev.evomerge.merge.testing.TestModels;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Candidates written from one kept session are the files a fresh session writes for each of them. */
class KeptMergeSessionTest {

    @TempDir
    static Path dir;
    static Path b;
    static Path a;
    static Path c;

    @BeforeAll
    static void models() {
        b = TestModels.base(dir, "b", 2, DType.BF16, 51);
        a = TestModels.fineTune(b, dir, "a", 52);
        c = TestModels.fineTune(b, dir, "c", 53);
    }

    private static MergeConfig taskArithmetic(double wa, double wc) {
        return MergeConfigReader.parse("""
                merge_method: task_arithmetic
                base_model: %s
                models:
                  - {model: %s, parameters: {weight: %s}}
                  - {model: %s, parameters: {weight: %s}}
                dtype: bfloat16
                """.formatted(b, a, wa, c, wc), "candidate.yml", w -> { });
    }

    private static MergeConfig linear(double wa, double wc) {
        return MergeConfigReader.parse("""
                merge_method: linear
                models:
                  - {model: %s, parameters: {weight: %s}}
                  - {model: %s, parameters: {weight: %s}}
                dtype: bfloat16
                """.formatted(a, wa, c, wc), "candidate.yml", w -> { });
    }

    private static Path fresh(MergeConfig config, String name) {
        Path out = dir.resolve("fresh").resolve(name);
        try (MergeSession once = MergeSession.open(config, MergeOptions.defaults().withThreads(1),
                MergeReporter.silent())) {
            once.writeModel(out);
        }
        return out;
    }

    /** Every file of {@code expected} (shards byte for byte, config.json, the candidate's model card) in {@code got}. */
    private static void assertSameFiles(Path got, Path expected) throws IOException {
        List<String> names;
        try (Stream<Path> files = Files.list(expected)) {
            names = files.map(p -> p.getFileName().toString()).sorted().toList();
        }
        try (Stream<Path> files = Files.list(got)) {
            assertThat(files.map(p -> p.getFileName().toString()).sorted().toList()).isEqualTo(names);
        }
        assertThat(names).contains("config.json", ModelWriter.CONFIG_COPY);
        for (String name : names) {
            if (name.equals("README.md")) {
                continue; // names the output directory
            }
            assertThat(Files.readAllBytes(got.resolve(name))).as(name)
                    .isEqualTo(Files.readAllBytes(expected.resolve(name)));
        }
    }

    @Test
    void candidatesOfOneLayoutShareASessionAndMatchFreshWritesBitForBit() throws IOException {
        double[][] weights = {{0.7, 0.3}, {0.2, 1.1}, {-0.4, 0.9}};
        try (KeptMergeSession writer = new KeptMergeSession(MergeOptions.defaults().withThreads(2))) {
            for (int k = 0; k < weights.length; k++) {
                MergeConfig candidate = taskArithmetic(weights[k][0], weights[k][1]);
                Path out = dir.resolve("kept-" + k);
                writer.write(candidate, out);
                assertSameFiles(out, fresh(candidate, "ta-" + k));
                assertThat(Files.readString(out.resolve(ModelWriter.CONFIG_COPY)))
                        .contains("weight: " + weights[k][0]);
            }
            assertThat(writer.reopens()).isZero();
        }
    }

    @Test
    void aCandidateOfAnotherMethodReopensAndIsCounted() throws IOException {
        try (KeptMergeSession writer = new KeptMergeSession(MergeOptions.defaults().withThreads(2))) {
            writer.write(taskArithmetic(0.5, 0.5), dir.resolve("mixed-0"));
            MergeConfig other = linear(0.25, 0.75);
            writer.write(other, dir.resolve("mixed-1"));
            assertSameFiles(dir.resolve("mixed-1"), fresh(other, "linear"));
            assertThat(writer.reopens()).isEqualTo(1);
            MergeConfig back = taskArithmetic(0.1, 0.6);
            writer.write(back, dir.resolve("mixed-2"));
            assertSameFiles(dir.resolve("mixed-2"), fresh(back, "ta-back"));
            assertThat(writer.reopens()).isEqualTo(2);
        }
    }

    @Test
    void aClosedWriterRefusesAndAnExistingTargetIsAUsageError() {
        KeptMergeSession writer = new KeptMergeSession(MergeOptions.defaults());
        writer.write(taskArithmetic(0.5, 0.5), dir.resolve("taken"));
        assertThatThrownBy(() -> writer.write(taskArithmetic(0.4, 0.5), dir.resolve("taken")))
                .hasMessageContaining("already exists and is not empty");
        writer.close();
        assertThatThrownBy(() -> writer.write(taskArithmetic(0.5, 0.5), dir.resolve("after-close")))
                .isInstanceOf(IllegalStateException.class);
        assertThat(dir.resolve("after-close")).doesNotExist();
    }
}
