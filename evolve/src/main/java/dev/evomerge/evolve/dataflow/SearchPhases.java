package dev.evomerge.evolve.dataflow;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.evolve.store.RunStore;

import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;

/**
 * Which search produced which generations of a run, kept in run.db's meta table under {@link #KEY} as
 * [{"phase": "ps", "first_generation": 0}, {"phase": "dfs", "first_generation": 11}]: a candidate's phase is the one
 * whose first generation is the latest at or before the candidate's. A run without the key is one parameter search.
 * The data-flow layout (gene names) of a PS+DFS run is kept under {@link #DATA_FLOW_LAYOUT}, beside the parameter
 * layout.
 */
public final class SearchPhases {

    public static final String KEY = "phases";
    public static final String DATA_FLOW_LAYOUT = "data_flow_layout";
    /** The search space of the run (ps, dfs or ps+dfs); absent in runs stored before there was a choice. */
    public static final String SPACE = "search_space";

    /** One phase: its label (ps or dfs) and its first generation. */
    public record Phase(String phase, int firstGeneration) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private SearchPhases() {
    }

    /** Adds a phase starting at {@code firstGeneration} (replacing one recorded there before). */
    public static void start(RunStore store, String phase, int firstGeneration) {
        List<Phase> phases = new ArrayList<>(read(store.meta(KEY).orElse(null)));
        phases.removeIf(p -> p.firstGeneration() >= firstGeneration);
        phases.add(new Phase(phase, firstGeneration));
        var arr = JSON.createArrayNode();
        for (Phase p : phases) {
            arr.addObject().put("phase", p.phase()).put("first_generation", p.firstGeneration());
        }
        store.putMeta(KEY, arr.toString());
    }

    /** The first generation of {@code phase} as the run store records it, empty when that phase has not started. */
    public static OptionalInt firstGeneration(RunStore store, String phase) {
        return read(store.meta(KEY).orElse(null)).stream().filter(p -> p.phase().equals(phase))
                .mapToInt(Phase::firstGeneration).max();
    }

    /** The phases of a stored value (empty for null). */
    public static List<Phase> read(String json) {
        if (json == null) {
            return List.of();
        }
        try {
            List<Phase> out = new ArrayList<>();
            for (var n : JSON.readTree(json)) {
                out.add(new Phase(n.get("phase").asText(), n.get("first_generation").asInt()));
            }
            return out;
        } catch (JsonProcessingException | NullPointerException e) {
            throw new IllegalArgumentException("malformed phases meta: " + json, e);
        }
    }

    /** The phase of a generation, null when the run records none. */
    public static String phaseOf(List<Phase> phases, int generation) {
        String label = null;
        for (Phase p : phases) {
            if (p.firstGeneration() <= generation) {
                label = p.phase();
            }
        }
        return label;
    }
}
