package dev.evomerge.merge.plan;

import java.util.List;
import java.util.Map;

/**
 * The resolved parameters of one output tensor: only values the config sets (absent = the method's default).
 *
 * @param global   global parameters
 * @param perInput per-model parameters, in the order of the job's inputs
 */
public record JobParameters(Map<String, Double> global, List<Map<String, Double>> perInput) {

    public JobParameters {
        global = Map.copyOf(global);
        perInput = perInput.stream().map(Map::copyOf).toList();
    }
}
