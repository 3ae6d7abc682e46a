package dev.evomerge.eval;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.eval.data.DatasetLoader;
import dev.evomerge.eval.estimate.TaskItem;
import dev.evomerge.eval.metric.Aggregation;
import dev.evomerge.eval.model.LanguageModel;
import dev.evomerge.eval.model.LanguageModels;
import dev.evomerge.eval.synth.SyntheticTasks;
import dev.evomerge.eval.task.TaskCatalog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Evaluating chosen documents: their values are the whole task's, and only their tokens are scored. */
class DocumentChoiceTest {

    @TempDir
    Path dir;

    @Test
    void chosenDocumentsScoreAsInTheWholeTaskForAFractionOfTheTokens() {
        Path model = dir.resolve("model");
        ModelSynthesizer.write(SynthModelSpec.defaults().withLayers(2).withSeed(31), model);
        SyntheticTasks.multipleChoice(dir.resolve("task"), new SyntheticTasks.Options("mc_docs", 60, 0, 4, 8),
                Optional.empty(), Optional.empty());
        TaskCatalog.Selection selection = TaskCatalog.load(List.of(dir.resolve("task")), w -> { })
                .select(List.of("mc_docs"));
        EvaluationOptions options = EvaluationOptions.defaults().withBootstrapIters(0);
        List<DocumentScores> whole = new ArrayList<>();
        List<DocumentScores> chosen = new ArrayList<>();
        long wholeTokens;
        long chosenTokens;
        EvaluationResults chosenResults;
        try (LanguageModel lm = LanguageModels.embedded(model, LoadOptions.defaults().withThreads(1), true, 64)) {
            DatasetLoader data = new DatasetLoader(Optional.empty());
            new Evaluator(data, EvaluationListener.documentScores(whole::add)).evaluate(selection, lm, options);
            wholeTokens = lm.tokensScored().orElseThrow();
            chosenResults = new Evaluator(data, EvaluationListener.documentScores(chosen::add)).evaluate(selection, lm,
                    options, new DocumentChoice(Map.of("mc_docs", List.of(41, 3, 17))));
            chosenTokens = lm.tokensScored().orElseThrow() - wholeTokens;
        }
        assertThat(chosen).hasSize(2);
        for (int m = 0; m < 2; m++) {
            assertThat(chosen.get(m).values().keySet()).containsExactly(3, 17, 41);
            for (int doc : List.of(3, 17, 41)) {
                assertThat(chosen.get(m).values().get(doc)).as("document " + doc)
                        .isEqualTo(whole.get(m).values().get(doc));
            }
        }
        assertThat(chosenResults.tasks().getFirst().metrics().getFirst().value())
                .isEqualTo(chosen.getFirst().mean());
        // 4 choices per document, each request its context plus its continuation
        assertThat(wholeTokens).isGreaterThan(60 * 4 * 2);
        assertThat(chosenTokens).isPositive().isLessThan(wholeTokens / 10);
    }

    @Test
    void theTaskDocumentsAreItsItemsWithTheGoldAnswerAsStratum() {
        SyntheticTasks.multipleChoice(dir.resolve("task"), new SyntheticTasks.Options("mc_items", 30, 0, 4, 8),
                Optional.empty(), Optional.empty());
        TaskCatalog.Selection selection = TaskCatalog.load(List.of(dir.resolve("task")), w -> { })
                .select(List.of("mc_items"));
        TaskDocuments d = TaskDocuments.of(selection, new DatasetLoader(Optional.empty()),
                EvaluationOptions.defaults().withLimit(20), w -> { }).getFirst();
        assertThat(d.items()).hasSize(20).extracting(TaskItem::document).containsExactlyElementsOf(
                java.util.stream.IntStream.range(0, 20).boxed().toList());
        assertThat(d.items()).allSatisfy(i -> assertThat(i.stratum()).get().isIn("0", "1", "2", "3"));
        assertThat(d.aggregations()).containsEntry("acc", Aggregation.MEAN);
        assertThat(d.perDocumentMean("acc")).isTrue();
        assertThat(d.perDocumentMean("perplexity")).isFalse();
    }

    @Test
    void aDocumentBeyondTheTaskIsRefusedInOneSentence() {
        assertThatThrownBy(() -> new DocumentChoice(Map.of("t", List.of(2, 9))).indices("t", 5))
                .isInstanceOf(EvomergeException.class)
                .hasMessage("task t has 5 documents to evaluate, so document 9 cannot be chosen; was its dataset or"
                        + " limit changed since the documents were chosen?");
        assertThat(new DocumentChoice(Map.of()).indices("t", 3)).containsExactly(0, 1, 2);
    }
}
