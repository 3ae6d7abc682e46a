package dev.evomerge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.core.tensor.DType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code evomerge eval} and {@code evomerge synth task} in-process on tiny synthetic models. */
class EvalCommandTest {


    @TempDir
    static Path dir;
    static Path model;

    @BeforeAll
    static void synth() {
        model = dir.resolve("model");
        ModelSynthesizer.write(SynthModelSpec.defaults().withLayers(2).withSeed(5), model);
    }

    @Test
    void evaluatesBundledTasksWritesLmEvalResultsAndSamples() throws IOException {
        Path results = dir.resolve("out/results.json");
        CliRun r = CliRun.run("eval", "--model", model.toString(), "--tasks", "toy_arc,toy_kobest_boolq", "--limit", "3",
                "--output-path", results.toString(), "--log-samples", "--threads", "1");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).contains(", limit: 3, num_fewshot: None").contains("|     Tasks      |Version|Filter|n-shot| Metric |   |Value |   |Stderr|")
                .contains("|toy_arc         |      1|none  |     0|acc     |↑  |");
        JsonNode json = new ObjectMapper().readTree(results.toFile());
        double acc = json.at("/results/toy_arc/acc,none").asDouble();
        assertThat(acc).isIn(0.0, 1.0 / 3, 2.0 / 3, 1.0);
        assertThat(json.at("/results/toy_kobest_boolq/f1_stderr,none").asText()).isEqualTo("N/A");
        assertThat(json.at("/n-samples/toy_arc/effective").asInt()).isEqualTo(3);
        assertThat(json.at("/n-samples/toy_arc/original").asInt()).isEqualTo(8);
        assertThat(json.at("/config/model").asText()).isEqualTo("embedded");
        assertThat(json.at("/configs/toy_arc/doc_to_choice").asText()).isEqualTo("{{choices.text}}");
        try (var files = Files.list(results.getParent())) {
            List<Path> samples = files.filter(p -> p.getFileName().toString().startsWith("samples_toy_arc_")).toList();
            assertThat(samples).hasSize(1);
            List<String> lines = Files.readAllLines(samples.getFirst());
            assertThat(lines).hasSize(3);
            JsonNode first = new ObjectMapper().readTree(lines.getFirst());
            assertThat(first.get("doc_id").asInt()).isZero();
            assertThat(first.get("arguments")).hasSize(4);
            assertThat(first.at("/arguments/0/1").asText()).isEqualTo(" the Moon");
        }
    }

    @Test
    void anOutputPathThroughAFileIsRefusedBeforeTheEvaluation() throws IOException {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        for (Path out : List.of(file.resolve("x.json"), file.resolve("sub"))) {
            CliRun r = CliRun.run("eval", "--model", model.toString(), "--tasks", "toy_arc", "--limit", "1",
                    "--output-path", out.toString(), "--threads", "1");
            assertThat(r.exit()).isEqualTo(2);
            assertThat(r.err().strip()).isEqualTo("evomerge: --output-path " + out + ": " + file + " is a file, not a folder.");
            assertThat(r.out()).as("no evaluation ran").doesNotContain("toy_arc");
        }
        CliRun report = CliRun.run("report", "--storage-path", dir.toString(), "--out", file.resolve("r").toString());
        assertThat(report.exit()).isEqualTo(2);
        assertThat(report.err().strip()).isEqualTo("evomerge: --out " + file.resolve("r") + ": " + file + " is a file, not a folder.");
    }

    @Test
    void samplesOfTasksNamedWithPathSeparatorsStayInsideTheOutputFolder() throws IOException {
        Path root = Files.createDirectories(dir.resolve("escape"));
        Path tasks = Files.createDirectories(root.resolve("tasks"));
        Files.writeString(tasks.resolve("data.jsonl"), "{\"q\": \"Sky?\", \"a\": 0}\n{\"q\": \"Sea?\", \"a\": 1}\n");
        // "../../x/y" and "..__..__x__y" have the same safe name: both files must survive
        for (String name : List.of("../../x/y", "..__..__x__y")) {
            Files.writeString(tasks.resolve(name.length() + ".yaml"), """
                    task: "%s"
                    dataset_path: json
                    dataset_kwargs:
                      data_files:
                        test: data.jsonl
                    output_type: multiple_choice
                    test_split: test
                    doc_to_text: "{{q}}"
                    doc_to_target: "{{a}}"
                    doc_to_choice: ["blue", "green"]
                    """.formatted(name));
        }
        Path out = root.resolve("a/b/out");
        CliRun r = CliRun.run("eval", "--model", model.toString(), "--include-path", tasks.toString(), "--tasks",
                "../../x/y,..__..__x__y", "--output-path", out.resolve("results.json").toString(), "--log-samples",
                "--threads", "1");
        assertThat(r.exit()).as(r.err()).isZero();
        List<Path> written;
        try (var files = Files.walk(root)) {
            written = files.filter(Files::isRegularFile).filter(p -> !p.startsWith(tasks))
                    .sorted(java.util.Comparator.comparing(p -> p.getFileName().toString())).toList();
        }
        // nothing anywhere but the results file and one samples file per task, all in the output folder
        assertThat(written).hasSize(3).allSatisfy(p -> assertThat(p.getParent()).isEqualTo(out));
        List<String> names = written.stream().map(p -> p.getFileName().toString()).sorted().toList();
        assertThat(names.get(0)).isEqualTo("results.json");
        assertThat(names.get(1)).matches("samples_\\.\\.__\\.\\.__x__y_[0-9T:.-]+\\.jsonl");
        assertThat(names.get(2)).matches("samples_\\.\\.__\\.\\.__x__y_2_[0-9T:.-]+\\.jsonl");
        for (Path samples : written.subList(1, 3)) {
            assertThat(Files.readAllLines(samples)).hasSize(2);
        }
    }

    @Test
    void badInputIsOneSentenceAndExitTwo() throws IOException {
        CliRun list = CliRun.run("eval", "--list-tasks");
        assertThat(list.exit()).isZero();
        assertThat(list.out()).contains("toy_arc").contains("groups: toy").contains("toy_kobest");
        CliRun unknown = CliRun.run("eval", "--model", model.toString(), "--tasks", "no_such_task");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).startsWith("evomerge: unknown task, group or tag 'no_such_task'");
        assertThat(unknown.err().strip().lines()).hasSize(1);

        Path tasks = Files.createDirectories(dir.resolve("badtasks"));
        Files.writeString(tasks.resolve("broken.yaml"), "task: broken\ndoc_to_text: [unclosed\n");
        CliRun malformed = CliRun.run("eval", "--model", model.toString(), "--include-path", tasks.toString(), "--tasks", "toy_arc");
        assertThat(malformed.exit()).isEqualTo(2);
        assertThat(malformed.err()).contains("malformed YAML in " + tasks.resolve("broken.yaml").toAbsolutePath() + ":");

        Path hub = Files.createDirectories(dir.resolve("hubtasks"));
        Files.writeString(hub.resolve("arc.yaml"), """
                task: arc_hub
                dataset_path: allenai/ai2_arc
                dataset_name: ARC-Challenge
                output_type: multiple_choice
                test_split: test
                doc_to_text: "Question: {{question}}\\nAnswer:"
                doc_to_target: "{{choices.label.index(answerKey)}}"
                doc_to_choice: "{{choices.text}}"
                """);
        CliRun missing = CliRun.run("eval", "--model", model.toString(), "--include-path", hub.toString(), "--tasks", "arc_hub",
                "--data-dir", dir.resolve("data").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).contains("dataset allenai/ai2_arc (ARC-Challenge) split 'test' for task arc_hub")
                .contains(dir.resolve("data/allenai/ai2_arc/ARC-Challenge/test.jsonl").toString());

        // the same YAML runs unchanged once the data is placed there
        Path data = Files.createDirectories(dir.resolve("data/allenai/ai2_arc/ARC-Challenge"));
        Files.writeString(data.resolve("test.jsonl"), "{\"question\": \"2+2?\", \"choices\": {\"text\": [\"4\", \"5\"], "
                + "\"label\": [\"A\", \"B\"]}, \"answerKey\": \"A\"}\n");
        CliRun placed = CliRun.run("eval", "--model", model.toString(), "--include-path", hub.toString(), "--tasks", "arc_hub",
                "--data-dir", dir.resolve("data").toString(), "--threads", "1");
        assertThat(placed.exit()).as(placed.err()).isZero();
        assertThat(placed.out()).contains("|arc_hub|");
    }

    @Test
    void threadsBelowOneAreRefusedBeforeTheModelLoads() throws IOException {
        // the same check and sentence as serve's --threads (EngineCliOptions); the folder holds no model at all
        Path empty = Files.createDirectories(dir.resolve("no-model-yet"));
        CliRun r = CliRun.run("eval", "--model", empty.toString(), "--tasks", "toy_arc", "--threads", "0");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).isEqualTo("evomerge: --threads must be at least 1, got 0." + System.lineSeparator());
    }

    @Test
    void nanWeightsGiveOneSentenceAndExitOne() throws IOException {
        Path broken = dir.resolve("nan-model");
        ModelSynthesizer.write(SynthModelSpec.defaults().withLayers(1).withDtype(DType.F32).withSeed(9), broken);
        poisonTensor(broken.resolve("model.safetensors"), "model.norm.weight");
        CliRun r = CliRun.run("eval", "--model", broken.toString(), "--tasks", "toy_arc", "--limit", "1", "--threads", "1");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).startsWith("evomerge: model ").contains("NaN").contains("no metric is reported");
    }

    /** Overwrites a float32 tensor with NaN in place. */
    private static void poisonTensor(Path safetensors, String name) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(safetensors.toFile(), "rw")) {
            byte[] len = new byte[8];
            f.readFully(len);
            long n = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getLong();
            byte[] header = new byte[(int) n];
            f.readFully(header);
            JsonNode h = new ObjectMapper().readTree(new String(header, StandardCharsets.UTF_8));
            long begin = h.get(name).get("data_offsets").get(0).asLong();
            long end = h.get(name).get("data_offsets").get(1).asLong();
            ByteBuffer nan = ByteBuffer.allocate((int) (end - begin)).order(ByteOrder.LITTLE_ENDIAN);
            while (nan.hasRemaining()) {
                nan.putFloat(Float.NaN);
            }
            f.seek(8 + n + begin);
            f.write(nan.array());
        }
    }

    @Test
    void synthTaskLabelledByATeacherScoresTheTeacherPerfectly() throws IOException {
        Path task = dir.resolve("synth-mc");
        CliRun w = CliRun.run("synth", "task", "mc", task.toString(), "--teacher", model.toString(), "--rows", "12",
                "--choices", "4", "--seed", "3", "--threads", "1");
        assertThat(w.exit()).as(w.err()).isZero();
        assertThat(w.out()).contains("Wrote task synth_mc (12 test rows)");
        assertThat(Files.readAllLines(task.resolve("data/test.jsonl"))).hasSize(12);
        Path results = dir.resolve("synth-results.json");
        CliRun e = CliRun.run("eval", "--model", model.toString(), "--include-path", task.toString(), "--tasks", "synth_mc",
                "--output-path", results.toString(), "--threads", "1");
        assertThat(e.exit()).as(e.err()).isZero();
        assertThat(new ObjectMapper().readTree(results.toFile()).at("/results/synth_mc/acc,none").asDouble())
                .isEqualTo(1.0);

        Path gen = dir.resolve("synth-gen");
        CliRun g = CliRun.run("synth", "task", "gen", gen.toString(), "--teacher", model.toString(), "--rows", "3",
                "--seed", "2", "--threads", "1", "--max-gen-toks", "4");
        assertThat(g.exit()).as(g.err()).isZero();
        CliRun eg = CliRun.run("eval", "--model", model.toString(), "--include-path", gen.toString(), "--tasks", "synth_gen",
                "--threads", "1");
        assertThat(eg.exit()).as(eg.err()).isZero();
        assertThat(eg.out()).contains("|synth_gen|").contains("|exact_match|↑  |1.0000|");
        CliRun again = CliRun.run("synth", "task", "gen", gen.toString());
        assertThat(again.exit()).isEqualTo(2);
        assertThat(again.err()).contains("is not empty");
    }
}
