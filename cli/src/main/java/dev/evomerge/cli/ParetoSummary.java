package dev.evomerge.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** The end of a multi-objective run's output: the front's members and their scores, as STORAGE/pareto/pareto.json has them. */
final class ParetoSummary {

    private ParetoSummary() {
    }

    /** Prints the front when the run wrote one; nothing for a single-objective run. */
    static void print(PrintWriter out, Path storage) throws IOException {
        Path index = storage.resolve("pareto").resolve("pareto.json");
        if (!Files.exists(index)) {
            return;
        }
        JsonNode root = new ObjectMapper().readTree(index.toFile());
        JsonNode members = root.get("members");
        out.printf(Locale.ROOT, "pareto front: %d member%s, hypervolume %.6g (merge one: evomerge merge %s OUT)%n",
                members.size(), members.size() == 1 ? "" : "s", root.get("hypervolume").asDouble(),
                storage.resolve("pareto").resolve("NAME.yaml"));
        for (JsonNode m : members) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-12s", m.get("name").asText()));
            m.get("scores").fields().forEachRemaining(e -> line.append(String.format(Locale.ROOT, "  %s %.6g", e.getKey(),
                    e.getValue().asDouble())));
            out.println(line);
        }
        out.flush();
    }
}
