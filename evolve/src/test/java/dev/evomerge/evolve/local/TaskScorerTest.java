package dev.evomerge.evolve.local;

import dev.evomerge.evolve.run.MetricKey;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthArch;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.engine.LoadOptions;
import dev.evomerge.eval.model.LanguageModel;
import dev.evomerge.eval.model.LanguageModels;
import dev.evomerge.evolve.genome.TaskSpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The genome's {@code shuffle} with {@code limit}: every scorer of a run (each candidate, slot, worker, resumed run)
 * evaluates the same seeded random subset, which is not the first documents and changes with the run's seed. The
 * subset shows in the perplexity a real (synthetic) model gives it.
 */
class TaskScorerTest {

    @TempDir
    static Path dir;
    static LanguageModel model;

    @BeforeAll
    static void setUp() throws IOException {
        Path m = dir.resolve("model");
        ModelSynthesizer.write(new SynthModelSpec(SynthArch.LLAMA, 512, 64, 4, 4, 2, 176, DType.BF16, 3, false, false), m);
        model = LanguageModels.embedded(m, LoadOptions.defaults().withThreads(1), true, 8);
        StringBuilder all = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            all.append(doc(i));
        }
        Files.writeString(dir.resolve("docs.jsonl"), all);
        // Python: random.Random(7).sample(range(20), 5) == [10, 4, 12, 1, 2]
        StringBuilder chosen = new StringBuilder();
        for (int i : new int[] {10, 4, 12, 1, 2}) {
            chosen.append(doc(i));
        }
        Files.writeString(dir.resolve("chosen.jsonl"), chosen);
        for (String name : List.of("docs", "chosen")) {
            Files.writeString(dir.resolve(name + ".yaml"), """
                    task: %s
                    dataset_path: json
                    dataset_kwargs:
                      data_files:
                        test: %s.jsonl
                    output_type: loglikelihood
                    test_split: test
                    doc_to_text: "{{q}}"
                    doc_to_target: "{{a}}"
                    metric_list:
                      - metric: perplexity
                    """.formatted(name, name));
        }
    }

    static String doc(int i) {
        return "{\"q\": \"Item " + i + " of the list is\", \"a\": \" " + "abcdefghijklmnopqrstuvwxyz".substring(i, i + 3 + i % 4) + "\"}\n";
    }

    @AfterAll
    static void tearDown() {
        model.close();
    }

    static double perplexity(String task, boolean shuffle, long seed, Integer limit) {
        EvaluationSettings s = new EvaluationSettings(List.of(new TaskSpec(task, 1.0, "perplexity,none")), List.of(dir.toString()),
                null, limit, null, 8, false, true, EvaluationBackend.EMBEDDED, null, 1, seed, dir.toString(), dir.toString(),
                dir.resolve("model").toString(), List.of(), shuffle, Map.of(), false);
        return new TaskScorer(s, w -> { }).score(model, Deadline.NONE).get(new MetricKey(task, "perplexity,none"));
    }

    @Test
    void shuffleWithLimitScoresTheSameSeededSubsetEveryTime() {
        double shuffled = perplexity("docs", true, 7, 5);
        // Another scorer of the same run (another candidate's slot, a worker, a resumed run): the same documents.
        assertThat(perplexity("docs", true, 7, 5)).isEqualTo(shuffled);
        // Exactly random.Random(seed).sample(docs, limit), in that order.
        assertThat(perplexity("chosen", false, 7, null)).isEqualTo(shuffled);
        // Not the first five, and another seed takes another subset.
        assertThat(perplexity("docs", false, 7, 5)).isNotEqualTo(shuffled);
        assertThat(perplexity("docs", true, 8, 5)).isNotEqualTo(shuffled);
    }
}
