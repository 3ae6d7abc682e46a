package dev.evomerge.eval;

import dev.evomerge.eval.model.GenerationQuery;
import dev.evomerge.eval.model.LanguageModel;
import dev.evomerge.eval.model.LoglikelihoodAnswer;
import dev.evomerge.eval.model.LoglikelihoodQuery;
import dev.evomerge.eval.model.Progress;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;

/** A deterministic in-test LanguageModel: answers come from functions, every query is recorded. */
final class FakeLanguageModel implements LanguageModel {

    final List<LoglikelihoodQuery> loglikelihoodQueries = new ArrayList<>();
    final List<String> rollingTexts = new ArrayList<>();
    final List<GenerationQuery> generationQueries = new ArrayList<>();
    private final Function<LoglikelihoodQuery, LoglikelihoodAnswer> ll;
    private final ToDoubleFunction<String> rolling;
    private final Function<GenerationQuery, String> gen;

    FakeLanguageModel(Function<LoglikelihoodQuery, LoglikelihoodAnswer> ll, ToDoubleFunction<String> rolling,
                      Function<GenerationQuery, String> gen) {
        this.ll = ll;
        this.rolling = rolling;
        this.gen = gen;
    }

    /** Scores a continuation by minus its length in characters, greedy when it is the shortest seen so far. */
    static FakeLanguageModel byLength() {
        return new FakeLanguageModel(q -> new LoglikelihoodAnswer(-q.continuation().length(), false),
                t -> -t.length(), q -> "");
    }

    @Override
    public String name() {
        return "fake";
    }

    @Override
    public List<LoglikelihoodAnswer> loglikelihood(List<LoglikelihoodQuery> queries, Progress progress) {
        loglikelihoodQueries.addAll(queries);
        List<LoglikelihoodAnswer> out = new ArrayList<>();
        for (LoglikelihoodQuery q : queries) {
            out.add(ll.apply(q));
        }
        progress.advance(queries.size());
        return out;
    }

    @Override
    public List<Double> loglikelihoodRolling(List<String> texts, Progress progress) {
        rollingTexts.addAll(texts);
        return texts.stream().map(t -> rolling.applyAsDouble(t)).toList();
    }

    @Override
    public List<String> generate(List<GenerationQuery> queries, Progress progress) {
        generationQueries.addAll(queries);
        return queries.stream().map(q -> q.cut(gen.apply(q))).toList();
    }
}
