package dev.evomerge.cluster;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * What a worker needs to evaluate a run's candidates: an id (workers build their evaluators once per run), the
 * evaluation settings as opaque key/values for the worker's evaluator factory, and the input paths (models, task
 * files, data) whose fingerprints must match the coordinator's before the worker is used.
 */
public record RunSpec(String runId, Map<String, String> settings, List<String> inputPaths) implements Serializable {

    public RunSpec {
        settings = Map.copyOf(settings);
        inputPaths = List.copyOf(inputPaths);
    }
}
