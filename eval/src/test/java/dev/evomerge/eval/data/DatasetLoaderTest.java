package dev.evomerge.eval.data;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.eval.task.ResolvedYaml;
import dev.evomerge.eval.task.TaskConfig;
import dev.evomerge.eval.task.TaskConfigParser;
import dev.evomerge.eval.task.TaskFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DatasetLoaderTest {

    @TempDir
    Path dir;

    private TaskConfig task(String yaml) throws IOException {
        Path p = dir.resolve("tasks/t.yaml");
        Files.createDirectories(p.getParent());
        Files.writeString(p, "task: t\ndoc_to_text: x\n" + yaml);
        return TaskConfigParser.parse(ResolvedYaml.load(new TaskFile.OnDisk(p)), w -> { });
    }

    private Path write(String rel, String text) throws IOException {
        Path p = dir.resolve(rel);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        return p;
    }

    @Test
    void hubIdResolvesUnderTheDataRootWithNestedFields() throws IOException {
        write("data/allenai/ai2_arc/ARC-Challenge/test.jsonl",
                "{\"question\": \"q1\", \"choices\": {\"text\": [\"a\", \"b\"], \"label\": [\"A\", \"B\"]}, \"answerKey\": \"B\"}\n"
                        + "{\"question\": \"q2\", \"choices\": {\"text\": [\"c\"], \"label\": [\"A\"]}, \"answerKey\": \"A\"}\n");
        TaskConfig t = task("dataset_path: allenai/ai2_arc\ndataset_name: ARC-Challenge\ntest_split: test\n");
        List<Map<String, Object>> docs = new DatasetLoader(Optional.of(dir.resolve("data")), dir).load(t, "test");
        assertThat(docs).hasSize(2);
        assertThat(docs.getFirst().get("choices")).isEqualTo(Map.of("text", List.of("a", "b"), "label", List.of("A", "B")));
        // the default config name is "default"; csv works there too
        write("data/org/plain/default/validation.csv", "q,label\nhello,1\n");
        TaskConfig u = task("dataset_path: org/plain\nvalidation_split: validation\n");
        assertThat(new DatasetLoader(Optional.of(dir.resolve("data")), dir).load(u, "validation"))
                .containsExactly(Map.of("q", "hello", "label", 1L));
    }

    @Test
    void missingHubDatasetNamesDatasetPathsAndHowToPlaceIt() throws IOException {
        TaskConfig t = task("dataset_path: allenai/ai2_arc\ndataset_name: ARC-Easy\ntest_split: test\n");
        Path root = dir.resolve("data");
        assertThatThrownBy(() -> new DatasetLoader(Optional.of(root), dir).load(t, "test"))
                .isInstanceOf(EvomergeException.class)
                .hasMessageContaining("dataset allenai/ai2_arc (ARC-Easy) split 'test' for task t is not available offline")
                .hasMessageContaining(root.resolve("allenai/ai2_arc/ARC-Easy/test.jsonl").toString())
                .hasMessageContaining(root.resolve("allenai/ai2_arc/ARC-Easy/test.csv").toString())
                .hasMessageContaining("place a local copy at");
        assertThatThrownBy(() -> new DatasetLoader(Optional.empty(), dir).load(t, "test"))
                .hasMessageContaining("no data root is set: pass --data-dir DIR (or set EVOMERGE_DATA)")
                .hasMessageContaining("DIR/allenai/ai2_arc/ARC-Easy/test.jsonl");
    }

    @Test
    void localDirectoryAndDataFilesNextToTheTask() throws IOException {
        write("tasks/mydata/test.jsonl", "{\"a\": 1}\n{\"a\": 2}\n");
        TaskConfig t = task("dataset_path: mydata\ntest_split: test\n");
        assertThat(new DatasetLoader(Optional.empty(), dir).load(t, "test")).hasSize(2);
        write("tasks/one.json", "[{\"a\": 1.5}, {\"a\": null}]");
        TaskConfig single = task("dataset_path: json\ndataset_kwargs:\n  data_files: one.json\ntraining_split: train\n");
        DatasetLoader loader = new DatasetLoader(Optional.empty(), dir);
        assertThat(loader.load(single, "train").getFirst()).containsEntry("a", 1.5);
        assertThatThrownBy(() -> loader.load(single, "test")).hasMessageContaining("a single file is the 'train' split");
        TaskConfig missing = task("dataset_path: json\ndataset_kwargs:\n  data_files:\n    test: nope.jsonl\n");
        assertThatThrownBy(() -> loader.load(missing, "test")).hasMessageContaining("nope.jsonl")
                .hasMessageContaining("does not exist");
        TaskConfig parquet = task("dataset_path: parquet\ndataset_kwargs:\n  data_files:\n    test: x.parquet\n");
        assertThatThrownBy(() -> loader.load(parquet, "test")).hasMessageContaining("convert them to JSON Lines");
    }

    @Test
    void csvTypesColumnsLikePandas() throws IOException {
        write("tasks/d.csv", "q,label,score,flag,mixed\n\"a, \"\"quoted\"\"\nline\",1,0.5,True,1\nb,0,2,False,x\n");
        TaskConfig t = task("dataset_path: csv\ndataset_kwargs:\n  data_files:\n    test: d.csv\n");
        List<Map<String, Object>> rows = new DatasetLoader(Optional.empty(), dir).load(t, "test");
        assertThat(rows.getFirst()).containsEntry("q", "a, \"quoted\"\nline").containsEntry("label", 1L)
                .containsEntry("score", 0.5).containsEntry("flag", true).containsEntry("mixed", "1");
        assertThat(rows.get(1)).containsEntry("score", 2.0).containsEntry("flag", false);
    }

    @Test
    void malformedJsonNamesFileAndLine() throws IOException {
        write("tasks/bad.jsonl", "{\"a\": 1}\n{\"a\": }\n");
        TaskConfig t = task("dataset_path: json\ndataset_kwargs:\n  data_files:\n    test: bad.jsonl\n");
        assertThatThrownBy(() -> new DatasetLoader(Optional.empty(), dir).load(t, "test"))
                .hasMessageContaining("malformed JSON in").hasMessageContaining("bad.jsonl: line 2, column 7: ")
                .hasMessageNotContaining("Source").hasMessageNotContaining("code ");
    }
}
