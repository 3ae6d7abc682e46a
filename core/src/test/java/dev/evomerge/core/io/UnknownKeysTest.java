package dev.evomerge.core.io;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class UnknownKeysTest {

    @Test
    void eachUnknownKeyIsOneSentenceWithItsPathFromTheRoot() {
        List<String> warnings = new ArrayList<>();
        UnknownKeys unknown = new UnknownKeys(".", warnings::add);
        unknown.check("g.yml", "genome.", List.of("models", "colour", "size").iterator(), Set.of("models")::contains);
        unknown.check("g.yml", "", List.of("tasks", "extra").iterator(), Set.of("tasks")::contains);
        assertThat(warnings).containsExactly(
                "g.yml: unknown key 'genome.colour' is ignored.",
                "g.yml: unknown key 'genome.size' is ignored.",
                "g.yml: unknown key 'extra' is ignored.");
    }

    @Test
    void theEndingIsTheReadersOwn() {
        List<String> warnings = new ArrayList<>();
        new UnknownKeys(" (mergekit ignores it too).", warnings::add).warn("cfg.yml", "models[0].weight");
        new UnknownKeys("", warnings::add).warn("t.yaml:3: task t", "fewshot_config.x");
        assertThat(warnings).containsExactly(
                "cfg.yml: unknown key 'models[0].weight' is ignored (mergekit ignores it too).",
                "t.yaml:3: task t: unknown key 'fewshot_config.x' is ignored");
    }
}
