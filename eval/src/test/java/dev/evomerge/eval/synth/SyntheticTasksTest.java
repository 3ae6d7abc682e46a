package dev.evomerge.eval.synth;

import dev.evomerge.core.synth.FineTuneSynthesizer;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.engine.tokenizer.Tokenizer;
import dev.evomerge.eval.EvaluationListener;
import dev.evomerge.eval.EvaluationOptions;
import dev.evomerge.eval.Evaluator;
import dev.evomerge.eval.data.DatasetLoader;
import dev.evomerge.eval.model.LanguageModel;
import dev.evomerge.eval.model.LanguageModels;
import dev.evomerge.eval.model.ModelTokenizer;
import dev.evomerge.eval.task.TaskCatalog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SyntheticTasksTest {

    @TempDir
    Path dir;

    private double acc(Path taskDir, String task, Path model) {
        try (LanguageModel lm = LanguageModels.embedded(model, LoadOptions.defaults().withThreads(1), true, 64)) {
            return new Evaluator(new DatasetLoader(Optional.empty()), EvaluationListener.QUIET)
                    .evaluate(TaskCatalog.load(List.of(taskDir), w -> { }).select(List.of(task)), lm,
                            EvaluationOptions.defaults().withBootstrapIters(0))
                    .value(task, "acc,none");
        }
    }

    @Test
    void aModelCloserToTheTeacherScoresHigher() {
        Path teacher = dir.resolve("teacher");
        ModelSynthesizer.write(SynthModelSpec.defaults().withLayers(2).withSeed(21), teacher);
        Path close = dir.resolve("close");
        FineTuneSynthesizer.write(teacher, close, 3, 0.05);
        Path far = dir.resolve("far");
        ModelSynthesizer.write(SynthModelSpec.defaults().withLayers(2).withSeed(22), far);
        Path task = dir.resolve("task");
        try (LanguageModel t = LanguageModels.embedded(teacher, LoadOptions.defaults().withThreads(1), true, 64);
             Tokenizer tok = Tokenizer.load(teacher)) {
            SyntheticTasks.Written w = SyntheticTasks.multipleChoice(task,
                    new SyntheticTasks.Options("hidden_target", 40, 2, 4, 5), Optional.of(t),
                    Optional.of(new ModelTokenizer(tok)));
            assertThat(w.yaml()).exists();
            assertThat(w.rows()).isEqualTo(40);
        }
        double accTeacher = acc(task, "hidden_target", teacher);
        double accClose = acc(task, "hidden_target", close);
        double accFar = acc(task, "hidden_target", far);
        assertThat(accTeacher).isEqualTo(1.0);
        assertThat(accClose).isGreaterThan(accFar);
        assertThat(accClose).isLessThanOrEqualTo(1.0);
    }

    @Test
    void deterministicForASeedAndRefusesANonEmptyDirectory() throws IOException {
        SyntheticTasks.Options o = new SyntheticTasks.Options("m", 5, 1, 3, 9);
        SyntheticTasks.multipleChoice(dir.resolve("a"), o, Optional.empty(), Optional.empty());
        SyntheticTasks.multipleChoice(dir.resolve("b"), o, Optional.empty(), Optional.empty());
        assertThat(Files.readString(dir.resolve("a/data/test.jsonl"))).isEqualTo(Files.readString(dir.resolve("b/data/test.jsonl")));
        assertThat(Files.readAllLines(dir.resolve("a/data/test.jsonl"))).hasSize(5)
                .allSatisfy(l -> assertThat(l).contains("\"choices\":[").contains("\"label\":"));
        assertThatThrownBy(() -> SyntheticTasks.multipleChoice(dir.resolve("a"), o, Optional.empty(), Optional.empty()))
                .hasMessageContaining("is not empty");
        SyntheticTasks.Written gen = SyntheticTasks.generation(dir.resolve("g"), new SyntheticTasks.Options("g", 3, 0, 2, 1),
                Optional.empty(), 8);
        assertThat(Files.readString(gen.yaml())).contains("output_type: generate_until");
        // without a teacher the target is the true sum of the question
        for (String line : Files.readAllLines(dir.resolve("g/data/test.jsonl"))) {
            var m = java.util.regex.Pattern.compile("What is (\\d+) plus (\\d+)\\?\",\"answer\":\"(\\d+)\"").matcher(line);
            assertThat(m.find()).isTrue();
            assertThat(Integer.parseInt(m.group(3))).isEqualTo(Integer.parseInt(m.group(1)) + Integer.parseInt(m.group(2)));
        }
    }
}
