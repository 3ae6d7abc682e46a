package dev.evomerge.eval.function;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.eval.metric.Aggregation;
import dev.evomerge.eval.metric.SampleValue;
import dev.evomerge.eval.model.LoglikelihoodAnswer;
import dev.evomerge.eval.task.FunctionRef;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * The {@code !function} references evomerge implements in Java, by the name task YAMLs use (the helpers of
 * lm-eval's truthfulqa and kobest tasks). Any other reference fails with a sentence suggesting to preprocess the
 * data into plain columns.
 */
public final class BuiltinFunctions {

    /** A process_results function for multiple-choice style tasks: the document and one answer per request. */
    @FunctionalInterface
    public interface ResultsFunction {
        Map<String, SampleValue> apply(Map<String, Object> doc, List<LoglikelihoodAnswer> answers);
    }

    private static final Map<String, Function<Map<String, Object>, Object>> DOC_FUNCTIONS = Map.of(
            "utils.copa_doc_to_text", BuiltinFunctions::copaText,
            "utils.copa_doc_to_target", BuiltinFunctions::copaTarget,
            "utils.copa_doc_to_choice", d -> List.of(str(d, "alternative_1"), str(d, "alternative_2")),
            "utils.sentineg_doc_to_text", d -> "문장: " + str(d, "sentence") + " 긍부정:",
            "utils.wic_doc_to_text", d -> "문장1: " + str(d, "context_1") + " 문장2: " + str(d, "context_2")
                    + " 두 문장에서 " + str(d, "word") + "가 같은 뜻으로 쓰였나?");

    private static final Map<String, UnaryOperator<List<Map<String, Object>>>> DOCS_FUNCTIONS = Map.of(
            "utils.hellaswag_process_doc", BuiltinFunctions::kobestHellaswag);

    private static final Map<String, ResultsFunction> RESULTS_FUNCTIONS = Map.of(
            "utils.process_results_mc2", (doc, answers) -> Map.of("acc", new SampleValue.Scalar(mc2(doc, answers))));

    private static final Map<String, Aggregation> AGGREGATIONS = Map.of("utils.macro_f1_score", Aggregation.MACRO_F1);

    private BuiltinFunctions() {
    }

    /** A doc_to_text / doc_to_target / doc_to_choice function. */
    public static Function<Map<String, Object>, Object> docFunction(FunctionRef ref, String where) {
        return find(DOC_FUNCTIONS, ref, where);
    }

    /** A process_docs function. */
    public static UnaryOperator<List<Map<String, Object>>> processDocs(FunctionRef ref, String where) {
        return find(DOCS_FUNCTIONS, ref, where);
    }

    /** A process_results function. */
    public static ResultsFunction processResults(FunctionRef ref, String where) {
        return find(RESULTS_FUNCTIONS, ref, where);
    }

    /** An aggregation function of metric_list. */
    public static Aggregation aggregation(FunctionRef ref, String where) {
        return find(AGGREGATIONS, ref, where);
    }

    /** Every built-in reference, sorted. */
    public static List<String> names() {
        TreeSet<String> all = new TreeSet<>();
        all.addAll(DOC_FUNCTIONS.keySet());
        all.addAll(DOCS_FUNCTIONS.keySet());
        all.addAll(RESULTS_FUNCTIONS.keySet());
        all.addAll(AGGREGATIONS.keySet());
        return List.copyOf(all);
    }

    private static <T> T find(Map<String, T> registry, FunctionRef ref, String where) {
        T f = registry.get(ref.name());
        if (f == null) {
            throw EvomergeException.usage(where + " uses !function " + ref.name() + ", which evomerge does not "
                    + "implement (it runs no Python); preprocess the data so that a column or a Jinja template gives "
                    + "the value instead" + (names().contains(ref.name()) ? " (this function exists, but not for this key)"
                    : ". Built-in functions: " + String.join(", ", names())));
        }
        return f;
    }

    /**
     * truthfulqa's mc2: the probability mass (exp of each choice's log-likelihood, normalised over all choices) on
     * the choices labelled 1 in {@code mc2_targets.labels}. Computed with a max shift, which changes nothing but
     * avoids 0/0 when every log-likelihood is below -745.
     */
    static double mc2(Map<String, Object> doc, List<LoglikelihoodAnswer> answers) {
        Object targets = doc.get("mc2_targets");
        if (!(targets instanceof Map<?, ?> t) || !(t.get("labels") instanceof List<?> labels)) {
            throw EvomergeException.usage("process_results_mc2 needs a document field mc2_targets.labels (truthfulqa's "
                    + "multiple_choice data), but the document has " + doc.keySet());
        }
        if (labels.size() != answers.size()) {
            throw EvomergeException.usage("process_results_mc2: mc2_targets.labels has " + labels.size()
                    + " labels but the task scored " + answers.size() + " choices");
        }
        double max = Double.NEGATIVE_INFINITY;
        for (LoglikelihoodAnswer a : answers) {
            max = Math.max(max, a.logprob());
        }
        double total = 0;
        double truthful = 0;
        for (int i = 0; i < answers.size(); i++) {
            double p = Math.exp(answers.get(i).logprob() - max);
            total += p;
            if (labels.get(i) instanceof Number n && n.intValue() == 1) {
                truthful += p;
            }
        }
        return truthful / total;
    }

    private static String str(Map<String, Object> doc, String key) {
        if (!doc.containsKey(key)) {
            throw EvomergeException.usage("a built-in kobest function needs the column '" + key
                    + "', but the document has " + doc.keySet());
        }
        return String.valueOf(doc.get(key));
    }

    private static Object copaText(Map<String, Object> doc) {
        String question = str(doc, "question").strip();
        String connector = switch (question) {
            case "원인" -> " 왜냐하면";
            case "결과" -> " 그래서";
            default -> throw EvomergeException.usage("copa_doc_to_text: question must be 원인 or 결과, got " + question);
        };
        // kobest's f"{premise} {connector}": the connector already starts with a space, so two spaces result.
        return str(doc, "premise") + " " + connector;
    }

    private static Object copaTarget(Map<String, Object> doc) {
        Object label = doc.get("label");
        boolean first = label instanceof Number n && n.intValue() == 0;
        return first ? str(doc, "alternative_1") : str(doc, "alternative_2");
    }

    private static List<Map<String, Object>> kobestHellaswag(List<Map<String, Object>> docs) {
        List<Map<String, Object>> out = new ArrayList<>(docs.size());
        for (Map<String, Object> d : docs) {
            Map<String, Object> m = new LinkedHashMap<>(d);
            m.put("query", "문장: " + str(d, "context"));
            m.put("choices", List.of(str(d, "ending_1"), str(d, "ending_2"), str(d, "ending_3"), str(d, "ending_4")));
            Object label = d.get("label");
            m.put("gold", label instanceof Number n ? n.longValue() : Long.parseLong(String.valueOf(label).strip()));
            out.add(m);
        }
        return out;
    }
}
