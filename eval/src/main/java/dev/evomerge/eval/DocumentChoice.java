package dev.evomerge.eval;

import dev.evomerge.core.EvomergeException;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;

/**
 * Which of each task's documents an evaluation runs: a task named here runs only the listed documents, any other task
 * all of them. A document is named by its index among the task's evaluated documents (lm-eval's {@code doc_id}, the
 * index {@link DocumentScores} reports), and keeps that index, its prompt and its few-shot seed position in the
 * results, so its per-document value is the one a whole-task evaluation gives it (with few-shot examples drawn in
 * evaluation order, a zero-shot task's exactly; a few-shot task's examples can differ). This is how an estimated
 * fitness scores a candidate on a few anchor documents only.
 *
 * @param byTask each chosen task's document indices, ascending and without repeats
 */
public record DocumentChoice(Map<String, List<Integer>> byTask) {

    /** Every document of every task. */
    public static final DocumentChoice ALL = new DocumentChoice(Map.of());

    public DocumentChoice {
        Map<String, List<Integer>> copy = new LinkedHashMap<>();
        byTask.forEach((task, docs) -> {
            if (docs.isEmpty()) {
                throw new IllegalArgumentException("task " + task + ": a document choice needs at least one document");
            }
            TreeSet<Integer> sorted = new TreeSet<>(docs);
            if (sorted.first() < 0) {
                throw new IllegalArgumentException("task " + task + ": document index " + sorted.first() + " is negative");
            }
            copy.put(task, List.copyOf(sorted));
        });
        byTask = Collections.unmodifiableMap(copy);
    }

    /** The documents chosen for {@code task}; empty when it runs all of them. */
    public Optional<List<Integer>> documents(String task) {
        return Optional.ofNullable(byTask.get(task));
    }

    /** The indices of {@code task} to run out of its {@code count} evaluated documents. */
    List<Integer> indices(String task, int count) {
        List<Integer> chosen = byTask.get(task);
        if (chosen == null) {
            return java.util.stream.IntStream.range(0, count).boxed().toList();
        }
        if (chosen.getLast() >= count) {
            throw EvomergeException.usage("task " + task + " has " + count + " documents to evaluate, so document "
                    + chosen.getLast() + " cannot be chosen; was its dataset or limit changed since the documents "
                    + "were chosen?");
        }
        return chosen;
    }
}
