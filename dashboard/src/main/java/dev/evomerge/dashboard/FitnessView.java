package dev.evomerge.dashboard;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.evolve.store.FitnessStore;
import dev.evomerge.evolve.store.RunStore;

import java.nio.file.Path;

/**
 * The dashboard's view of how a run's fitness was obtained ({@code /api/runs/NAME/fitness}): each candidate's method
 * (full, subset, anchors, irt, calibration), its estimate and whole-task fitness where measured, the tokens scored,
 * and the run's total. A run without the fitness tables (older runs) gives an empty list.
 */
final class FitnessView {

    private FitnessView() {
    }

    static ObjectNode json(Path folder) {
        ObjectNode root = RunSummary.JSON.createObjectNode();
        try (RunStore store = RunStore.openReadOnly(folder)) {
            FitnessStore fitness = FitnessStore.reading(store);
            ArrayNode list = root.putArray("candidates");
            for (FitnessStore.CandidateFitness c : fitness.candidates()) {
                ObjectNode n = list.addObject();
                n.put("generation", c.generation());
                n.put("index", c.index());
                n.put("method", c.method());
                n.put("estimate", c.estimate());
                n.put("full", c.full());
                n.put("tokens", c.tokens());
                n.put("full_tokens", c.fullTokens());
            }
            root.put("tokens_scored", fitness.tokensScored());
        }
        return root;
    }
}
