package dev.evomerge.eval;

import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.eval.data.DatasetLoader;
import dev.evomerge.eval.model.LanguageModel;
import dev.evomerge.eval.model.LanguageModels;
import dev.evomerge.eval.synth.SyntheticTasks;
import dev.evomerge.eval.task.TaskCatalog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Per-document values reach the listener, and a mean metric is their mean. */
class DocumentScoresTest {

    @TempDir
    Path dir;

    @Test
    void theMeanOfThePerDocumentValuesIsTheAggregate() {
        Path model = dir.resolve("model");
        ModelSynthesizer.write(SynthModelSpec.defaults().withLayers(2).withSeed(31), model);
        // random gold answers: a random model gets some right and some wrong
        SyntheticTasks.multipleChoice(dir.resolve("task"), new SyntheticTasks.Options("mc_docs", 60, 0, 4, 8),
                Optional.empty(), Optional.empty());
        List<DocumentScores> reported = new ArrayList<>();
        EvaluationListener listener = EvaluationListener.documentScores(reported::add);
        EvaluationResults results;
        try (LanguageModel lm = LanguageModels.embedded(model, LoadOptions.defaults().withThreads(1), true, 64)) {
            results = new Evaluator(new DatasetLoader(Optional.empty()), listener)
                    .evaluate(TaskCatalog.load(List.of(dir.resolve("task")), w -> { }).select(List.of("mc_docs")), lm,
                            EvaluationOptions.defaults().withBootstrapIters(0));
        }
        assertThat(reported).extracting(DocumentScores::key).containsExactly("acc,none", "acc_norm,none");
        for (DocumentScores s : reported) {
            assertThat(s.task()).isEqualTo("mc_docs");
            assertThat(s.values().keySet()).containsExactlyElementsOf(IntStream.range(0, 60).boxed().toList());
            assertThat(s.values().values()).allSatisfy(v -> assertThat(v).isIn(0.0, 1.0));
            double aggregate = results.value("mc_docs", s.key());
            assertThat(aggregate).isStrictlyBetween(0.0, 1.0);
            assertThat(s.mean()).isCloseTo(aggregate, within(1e-12));
            assertThat(s.toArray()).hasSize(60);
            assertThat(s.toArray()[7]).isEqualTo(s.values().get(7));
        }
    }
}
