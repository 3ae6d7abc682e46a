package dev.evomerge.evolve.fitness;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.eval.estimate.Anchor;
import dev.evomerge.eval.estimate.AnchoredIrtEstimator;
import dev.evomerge.eval.estimate.Anchors;
import dev.evomerge.eval.estimate.GpIrtEstimator;
import dev.evomerge.eval.estimate.MultidimensionalIrt;
import dev.evomerge.eval.estimate.MultidimensionalIrtEstimator;
import dev.evomerge.eval.estimate.TaskEstimator;
import dev.evomerge.eval.estimate.TwoParameterIrt;

import java.util.ArrayList;
import java.util.List;

/**
 * A fitted estimator as run.db's {@code fitness_estimators} row keeps it: its anchors (position among the calibration
 * items, document index, weight, cluster size) and, for irt, each item's discrimination and intercept, the calibration
 * models' abilities and lambda. Read back it estimates exactly as when it was fitted.
 */
final class StoredEstimator {

    private static final ObjectMapper JSON = new ObjectMapper();

    private StoredEstimator() {
    }

    static String toJson(TaskEstimator estimator) {
        ObjectNode root = JSON.createObjectNode();
        Anchors anchors = switch (estimator) {
            case Anchors a -> a;
            case AnchoredIrtEstimator g -> g.anchors();
            default -> throw new IllegalArgumentException("only anchors and irt estimators are stored");
        };
        ArrayNode list = root.putArray("anchors");
        for (Anchor a : anchors.anchors()) {
            list.addObject().put("column", a.column()).put("document", a.document()).put("weight", a.weight())
                    .put("clusterSize", a.clusterSize());
        }
        if (estimator instanceof GpIrtEstimator g) {
            TwoParameterIrt irt = g.irt();
            ObjectNode node = root.putObject("irt");
            ArrayNode a = node.putArray("discrimination");
            ArrayNode d = node.putArray("intercept");
            for (int j = 0; j < irt.itemCount(); j++) {
                a.add(irt.discrimination(j));
                d.add(irt.intercept(j));
            }
            ArrayNode theta = node.putArray("abilities");
            for (int i = 0; i < irt.modelCount(); i++) {
                theta.add(irt.ability(i));
            }
            root.put("lambda", g.lambda());
        }
        if (estimator instanceof MultidimensionalIrtEstimator g) {
            MultidimensionalIrt irt = g.irt();
            ObjectNode node = root.putObject("mirt");
            ArrayNode a = node.putArray("discrimination");
            ArrayNode d = node.putArray("intercept");
            for (int j = 0; j < irt.itemCount(); j++) {
                ArrayNode row = a.addArray();
                for (double v : irt.discrimination(j)) {
                    row.add(v);
                }
                d.add(irt.intercept(j));
            }
            ArrayNode theta = node.putArray("abilities");
            for (int i = 0; i < irt.modelCount(); i++) {
                ArrayNode row = theta.addArray();
                for (double v : irt.ability(i)) {
                    row.add(v);
                }
            }
            root.put("lambda", g.lambda());
            root.put("combination", g.combination().name());
        }
        return root.toString();
    }

    static TaskEstimator fromJson(String task, String json) {
        try {
            JsonNode root = JSON.readTree(json);
            List<Anchor> list = new ArrayList<>();
            for (JsonNode a : root.get("anchors")) {
                list.add(new Anchor(a.get("column").asInt(), a.get("document").asInt(), a.get("weight").asDouble(),
                        a.get("clusterSize").asInt()));
            }
            Anchors anchors = new Anchors(task, list);
            JsonNode mirt = root.get("mirt");
            if (mirt != null) {
                return new MultidimensionalIrtEstimator(anchors, MultidimensionalIrt.of(rows(mirt.get("discrimination")),
                        doubles(mirt.get("intercept")), rows(mirt.get("abilities"))), root.get("lambda").asDouble(),
                        MultidimensionalIrtEstimator.Combination.valueOf(root.get("combination").asText()));
            }
            JsonNode irt = root.get("irt");
            if (irt == null) {
                return anchors;
            }
            return new GpIrtEstimator(anchors, TwoParameterIrt.of(doubles(irt.get("discrimination")),
                    doubles(irt.get("intercept")), doubles(irt.get("abilities"))), root.get("lambda").asDouble());
        } catch (JsonProcessingException | RuntimeException e) {
            throw EvomergeException.usage("--resume: the fitted estimator of task " + task
                    + " stored in run.db cannot be read (" + e.getMessage() + "); start a new run.", e);
        }
    }

    private static double[][] rows(JsonNode array) {
        double[][] out = new double[array.size()][];
        for (int i = 0; i < out.length; i++) {
            out[i] = doubles(array.get(i));
        }
        return out;
    }

    private static double[] doubles(JsonNode array) {
        double[] out = new double[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asDouble();
        }
        return out;
    }
}
