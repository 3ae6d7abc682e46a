package dev.evomerge.eval.synth;

import dev.evomerge.eval.model.GenerationQuery;
import dev.evomerge.eval.model.LanguageModel;
import dev.evomerge.eval.model.LoglikelihoodAnswer;
import dev.evomerge.eval.model.LoglikelihoodQuery;
import dev.evomerge.eval.model.Progress;
import dev.evomerge.eval.prompt.DocFields;
import dev.evomerge.eval.prompt.PromptBuilder;
import dev.evomerge.eval.prompt.TemplateRenderer;
import dev.evomerge.eval.python.PythonValues;
import dev.evomerge.eval.task.OutputType;
import dev.evomerge.eval.task.TaskConfig;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Labels documents with a "teacher" model's own answers, through exactly the prompts and scoring the task uses
 * (0-shot): for a multiple-choice task the gold answer becomes the choice the teacher finds most likely (so the
 * teacher scores acc = 1 and a model scores higher the more it agrees with the teacher); for a generation task the
 * target becomes the teacher's greedy answer.
 */
public final class TeacherLabeler {

    private TeacherLabeler() {
    }

    /** The index of the teacher's most likely choice (lm-eval's acc prediction) for each document. */
    public static List<Integer> multipleChoice(TaskConfig task, List<Map<String, Object>> docs, LanguageModel teacher) {
        if (task.outputType() != OutputType.MULTIPLE_CHOICE) {
            throw new IllegalArgumentException("task " + task.name() + " is not multiple_choice");
        }
        DocFields fields = new DocFields(task, new TemplateRenderer(), columns(docs), w -> { });
        PromptBuilder prompts = new PromptBuilder(fields, 0, null, Optional.empty());
        List<LoglikelihoodQuery> queries = new ArrayList<>();
        List<Integer> counts = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            String ctx = prompts.build(docs.get(i), i).context();
            List<String> choices = fields.choices(docs.get(i), i);
            for (String c : choices) {
                queries.add(new LoglikelihoodQuery(ctx, task.targetDelimiter() + c));
            }
            counts.add(choices.size());
        }
        List<LoglikelihoodAnswer> answers = teacher.loglikelihood(queries, Progress.NONE);
        List<Integer> labels = new ArrayList<>(docs.size());
        int at = 0;
        for (int n : counts) {
            int best = 0;
            for (int k = 1; k < n; k++) {
                if (answers.get(at + k).logprob() > answers.get(at + best).logprob()) {
                    best = k;
                }
            }
            labels.add(best);
            at += n;
        }
        return labels;
    }

    /** The teacher's greedy answer to each document's prompt, cut at the task's stop strings and stripped. */
    public static List<String> generation(TaskConfig task, List<Map<String, Object>> docs, LanguageModel teacher) {
        DocFields fields = new DocFields(task, new TemplateRenderer(), columns(docs), w -> { });
        PromptBuilder prompts = new PromptBuilder(fields, 0, null, Optional.empty());
        List<GenerationQuery> queries = new ArrayList<>();
        for (int i = 0; i < docs.size(); i++) {
            queries.add(GenerationQuery.greedy(prompts.build(docs.get(i), i).context(),
                    task.generationKwargs().until(), task.generationKwargs().maxGenToks()));
        }
        return teacher.generate(queries, Progress.NONE).stream().map(PythonValues::strip).toList();
    }

    private static Set<String> columns(List<Map<String, Object>> docs) {
        Set<String> out = new LinkedHashSet<>();
        docs.forEach(d -> out.addAll(d.keySet()));
        return out;
    }
}
