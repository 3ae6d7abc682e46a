package dev.evomerge.dashboard;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.evolve.objective.Objective;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.MetricKey;
import dev.evomerge.evolve.store.ParetoStore;
import dev.evomerge.evolve.store.RunStore;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What the dashboard and the report show of a multi-objective run, read from the run store's objective tables: every
 * scored candidate's objective vector (as the user reads it: a cost is not negated), the latest front and the
 * hypervolume after each generation. A single-objective run has none ({@link #read} is empty).
 *
 * @param objectives the run's objectives in order
 * @param points     every candidate's objective vector, by generation then index
 * @param fronts     the front after each generation, in order (the last is the current front)
 */
public record FrontView(List<Objective> objectives, List<ParetoStore.Point> points, List<ParetoStore.Front> fronts) {

    /** A front member's file name in STORAGE/pareto/ without ".yaml", as the run writes it: "g3-c5". */
    static final Pattern MEMBER_NAME = Pattern.compile("g(\\d{1,9})-c(\\d{1,9})");

    public FrontView {
        objectives = List.copyOf(objectives);
        points = List.copyOf(points);
        fronts = List.copyOf(fronts);
    }

    /** The run's objective data; empty for a run.db without objective tables or objectives. */
    public static Optional<FrontView> read(RunStore store) {
        return ParetoStore.of(store).filter(p -> !p.objectives().isEmpty())
                .map(p -> new FrontView(p.objectives(), p.points(), p.fronts()));
    }

    /** The current front's members (empty before the first generation ends). */
    public List<ParetoStore.CandidateId> front() {
        return fronts.isEmpty() ? List.of() : fronts.getLast().members();
    }

    /** Whether {@code name} ("g3-c5") is a member of the current front: the only YAML files the dashboard serves. */
    public boolean isMember(String name) {
        var m = MEMBER_NAME.matcher(name);
        return m.matches() && front().contains(new ParetoStore.CandidateId(Integer.parseInt(m.group(1)),
                Integer.parseInt(m.group(2))));
    }

    static String name(ParetoStore.CandidateId id) {
        return "g" + id.generation() + "-c" + id.index();
    }

    /** The objective vector of each candidate, by place in the run. */
    Map<ParetoStore.CandidateId, double[]> values() {
        Map<ParetoStore.CandidateId, double[]> out = new HashMap<>();
        points.forEach(p -> out.put(new ParetoStore.CandidateId(p.generation(), p.index()), p.values()));
        return out;
    }

    /**
     * The dashboard's JSON: objectives (name, goal), points (generation, index, values, whether on the current front),
     * front (members with file name, scores by objective, weighted score, metrics) and hypervolume per generation.
     */
    ObjectNode toJson(List<Evaluation> candidates) {
        ObjectNode root = RunSummary.JSON.createObjectNode();
        ArrayNode objs = root.putArray("objectives");
        objectives.forEach(o -> objs.addObject().put("name", o.name()).put("goal", o.minimised() ? "minimise" : "maximise"));
        Set<ParetoStore.CandidateId> front = new HashSet<>(front());
        ArrayNode pts = root.putArray("points");
        for (ParetoStore.Point p : points) {
            ObjectNode n = pts.addObject().put("generation", p.generation()).put("index", p.index());
            ArrayNode v = n.putArray("values");
            for (double x : p.values()) {
                v.add(x);
            }
            n.put("front", front.contains(new ParetoStore.CandidateId(p.generation(), p.index())));
        }
        Map<ParetoStore.CandidateId, double[]> values = values();
        Map<ParetoStore.CandidateId, Evaluation> byId = new HashMap<>();
        candidates.forEach(e -> byId.put(new ParetoStore.CandidateId(e.candidate().generation(), e.candidate().index()), e));
        ArrayNode members = root.putArray("front");
        for (ParetoStore.CandidateId id : front()) {
            ObjectNode n = members.addObject().put("name", name(id)).put("file", name(id) + ".yaml")
                    .put("generation", id.generation()).put("index", id.index());
            ObjectNode scores = n.putObject("scores");
            double[] v = values.get(id);
            for (int i = 0; i < objectives.size() && v != null; i++) {
                scores.put(objectives.get(i).name(), v[i]);
            }
            Evaluation e = byId.get(id);
            if (e != null && Double.isFinite(e.score())) {
                n.put("weighted_score", e.score());
            }
            ObjectNode metrics = n.putObject("metrics");
            if (e != null) {
                MetricKey.toText(e.metrics()).forEach(metrics::put);
            }
        }
        ArrayNode hv = root.putArray("hypervolume");
        fronts.forEach(f -> hv.addObject().put("generation", f.generation()).put("hypervolume", f.hypervolume())
                .put("front_size", f.members().size()));
        return root;
    }
}
