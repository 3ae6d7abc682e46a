package dev.evomerge.eval.estimate;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Draws a stratified random subset of K items of a task, the same for a given seed and task.
 *
 * <p>Allocation is proportional with largest remainders: stratum s of N_s items out of N gets
 * floor(K N_s / N) items, and the K minus their sum items left go one each to the strata with the largest fractional
 * parts (ties: the larger stratum, then the stratum that sorts first; items without a stratum form one stratum that
 * sorts before all named ones). Within a stratum the items are a uniform draw without replacement (a partial
 * Fisher-Yates shuffle of the stratum's items in task order). The chosen items are returned in task order.
 */
public final class SubsetSelector {

    private SubsetSelector() {
    }

    /** @throws dev.evomerge.core.EvomergeException (usage) when the task has fewer than {@code k} items */
    public static Subset select(String task, List<TaskItem> items, int k, long seed) {
        EstimatorInputs.requireEnoughDocuments(task, items.size(), k);
        Map<Optional<String>, List<Integer>> strata = strata(items);
        Map<Optional<String>, Integer> counts = allocate(strata, items.size(), k);
        SplittableRandom random = EstimatorInputs.random(seed, task);
        List<Integer> chosen = new ArrayList<>(k);
        for (Map.Entry<Optional<String>, List<Integer>> stratum : strata.entrySet()) {
            chosen.addAll(draw(stratum.getValue(), counts.get(stratum.getKey()), random));
        }
        chosen.sort(null);
        return new Subset(task, chosen, chosen.stream().map(c -> items.get(c).document()).toList());
    }

    /** How many items each stratum contributes to a subset of {@code k} out of {@code total}. */
    static Map<Optional<String>, Integer> allocate(Map<Optional<String>, List<Integer>> strata, int total, int k) {
        Map<Optional<String>, Integer> counts = new TreeMap<>(STRATUM_ORDER);
        List<Optional<String>> byRemainder = new ArrayList<>(strata.keySet());
        int given = 0;
        for (Map.Entry<Optional<String>, List<Integer>> s : strata.entrySet()) {
            int n = (int) ((long) k * s.getValue().size() / total);
            counts.put(s.getKey(), n);
            given += n;
        }
        byRemainder.sort(Comparator.<Optional<String>>comparingLong(s -> -((long) k * strata.get(s).size() % total))
                .thenComparing(s -> -strata.get(s).size())
                .thenComparing(STRATUM_ORDER));
        for (int i = 0; given < k; i++, given++) {
            counts.merge(byRemainder.get(i), 1, Integer::sum);
        }
        return counts;
    }

    private static final Comparator<Optional<String>> STRATUM_ORDER =
            Comparator.comparing((Optional<String> s) -> s.isPresent()).thenComparing(s -> s.orElse(""));

    private static Map<Optional<String>, List<Integer>> strata(List<TaskItem> items) {
        Map<Optional<String>, List<Integer>> strata = new TreeMap<>(STRATUM_ORDER);
        for (int j = 0; j < items.size(); j++) {
            strata.computeIfAbsent(items.get(j).stratum(), s -> new ArrayList<>()).add(j);
        }
        return strata;
    }

    private static List<Integer> draw(List<Integer> members, int n, SplittableRandom random) {
        List<Integer> pool = new ArrayList<>(members);
        for (int i = 0; i < n; i++) {
            int pick = i + random.nextInt(pool.size() - i);
            pool.set(pick, pool.set(i, pool.get(pick)));
        }
        return pool.subList(0, n);
    }
}
