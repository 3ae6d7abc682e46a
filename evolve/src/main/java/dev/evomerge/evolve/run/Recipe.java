package dev.evomerge.evolve.run;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.MergeConfigReader;
import dev.evomerge.merge.config.MergeConfigWriter;

import java.util.Objects;

/**
 * A candidate's merge recipe: the typed config a genome decoded to, or the YAML text a run store row holds. Each form
 * is made from the other once, when first asked for: the dashboard and the report read every stored candidate but
 * never merge one, so a stored text is parsed only when a resumed run merges it.
 */
public final class Recipe {

    private final String source;
    private volatile MergeConfig config;
    private volatile String yaml;

    private Recipe(MergeConfig config, String yaml, String source) {
        this.config = config;
        this.yaml = yaml;
        this.source = source;
    }

    /** A decoded config; its YAML is written by the one writer when first needed. */
    public static Recipe of(MergeConfig config) {
        return new Recipe(Objects.requireNonNull(config, "config"), null, null);
    }

    /** A stored or sent text (null when the row has none), read by the one reader when first merged. */
    public static Recipe ofText(String yaml, String source) {
        return new Recipe(null, yaml, source);
    }

    /**
     * The typed config. A text that is absent or is not a merge config is a usage error naming where it came from;
     * a text read here is kept as the config's source text, so {@link #yaml()} gives it back unchanged.
     */
    public MergeConfig config() {
        MergeConfig c = config;
        if (c == null) {
            if (yaml == null) {
                throw EvomergeException.usage(source + " has no merge YAML.");
            }
            c = MergeConfigReader.parse(yaml, source, w -> { });
            config = c;
        }
        return c;
    }

    /** The YAML text: as stored or sent, else as the one writer writes the config; null for a row without one. */
    public String yaml() {
        String y = yaml;
        if (y == null && config != null) {
            y = config.sourceText() != null ? config.sourceText() : MergeConfigWriter.toYaml(config);
            yaml = y;
        }
        return y;
    }
}
