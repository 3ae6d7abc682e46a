package dev.evomerge.evolve;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.Reasons;
import dev.evomerge.evolve.objective.Objective;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.MetricKey;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * STORAGE/pareto/: one mergekit YAML per member of the current front ({@code gGEN-cIDX.yaml}, the recipe exactly as
 * run.db holds it, so {@code evomerge merge} rebuilds the model that was scored) and {@code pareto.json} with every
 * member's scores. Rewritten after each generation: the new members' files first, then pareto.json, then the files of
 * members that left the front are removed, each file replaced atomically, so pareto.json never names a missing file.
 */
final class ParetoFolder {

    static final String DIR = "pareto";
    static final String INDEX = "pareto.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One front member: its evaluation and its objective values as the user reads them. */
    record Member(Evaluation evaluation, double[] values) {
        String name() {
            return "g" + evaluation.candidate().generation() + "-c" + evaluation.candidate().index();
        }
    }

    private ParetoFolder() {
    }

    /** Writes the front after {@code generation} into STORAGE/pareto/. */
    static void write(Path storage, int generation, List<Objective> objectives, List<Member> front, double hypervolume) {
        Path dir = storage.resolve(DIR);
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw EvomergeException.runtime("Cannot create " + dir + ": " + Reasons.of(e) + ".", e);
        }
        Set<String> keep = new HashSet<>();
        keep.add(INDEX);
        for (Member m : front) {
            String file = m.name() + ".yaml";
            keep.add(file);
            Path target = dir.resolve(file);
            if (!Files.exists(target)) { // a member's recipe never changes: written once while it stays on the front
                EvolutionRun.atomicWrite(target, m.evaluation().candidate().mergeYaml());
            }
        }
        ObjectNode index = JSON.createObjectNode();
        index.put("generation", generation);
        index.put("hypervolume", hypervolume);
        index.set("objectives", objectivesJson(objectives));
        index.set("members", membersJson(objectives, front));
        EvolutionRun.atomicWrite(dir.resolve(INDEX), index.toPrettyString() + "\n");
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (name.endsWith(".yaml") && !keep.contains(name)) {
                    Files.delete(f);
                }
            }
        } catch (IOException e) {
            throw EvomergeException.runtime("Cannot remove a stale front member from " + dir + ": " + Reasons.of(e) + ".", e);
        }
    }

    static ArrayNode objectivesJson(List<Objective> objectives) {
        ArrayNode out = JSON.createArrayNode();
        for (Objective o : objectives) {
            out.addObject().put("name", o.name()).put("goal", o.minimised() ? "minimise" : "maximise");
        }
        return out;
    }

    /** The members with their file, place in the run, scores on every objective, weighted score and metrics. */
    static ArrayNode membersJson(List<Objective> objectives, List<Member> front) {
        ArrayNode out = JSON.createArrayNode();
        for (Member m : front) {
            ObjectNode n = out.addObject();
            n.put("name", m.name());
            n.put("file", DIR + "/" + m.name() + ".yaml");
            n.put("generation", m.evaluation().candidate().generation());
            n.put("index", m.evaluation().candidate().index());
            ObjectNode scores = n.putObject("scores");
            for (int i = 0; i < objectives.size(); i++) {
                scores.put(objectives.get(i).name(), m.values()[i]);
            }
            n.put("weighted_score", m.evaluation().score());
            ObjectNode metrics = n.putObject("metrics");
            MetricKey.toText(m.evaluation().metrics()).forEach(metrics::put);
            ArrayNode genes = n.putArray("genes");
            for (double g : m.evaluation().candidate().genes()) {
                genes.add(g);
            }
        }
        return out;
    }
}
