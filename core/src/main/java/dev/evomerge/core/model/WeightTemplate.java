package dev.evomerge.core.model;

import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One tensor of an architecture: its name (layer weights contain {@code ${layer_index}}, optionally
 * {@code ${layer_index+k}} / {@code ${layer_index-k}}), whether it is a vocabulary-indexed embedding, whether a model
 * may lack it, and the tensors that may stand in for it (a tied lm_head falls back to the input embedding).
 */
public record WeightTemplate(String name, boolean isEmbed, boolean optional, List<String> tiedNames) {

    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([^}]*)}");
    private static final Pattern LAYER_INDEX = Pattern.compile("layer_index\\s*(?:([+-])\\s*(\\d+))?");

    public WeightTemplate {
        Objects.requireNonNull(name, "name");
        tiedNames = List.copyOf(tiedNames);
    }

    /** A plain required, non-embedding weight. */
    public static WeightTemplate of(String name) {
        return new WeightTemplate(name, false, false, List.of());
    }

    /** True when the name contains a placeholder. */
    public boolean isTemplate() {
        return name.contains("${");
    }

    /** This weight with every {@code ${layer_index...}} replaced for layer {@code layer}. */
    public WeightTemplate forLayer(int layer) {
        return new WeightTemplate(substitute(name, layer), isEmbed, optional,
                tiedNames.stream().map(t -> substitute(t, layer)).toList());
    }

    /** Replaces the layer placeholders of one template string; unknown placeholders are an error. */
    static String substitute(String template, int layer) {
        Matcher m = PLACEHOLDER.matcher(template);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            Matcher idx = LAYER_INDEX.matcher(m.group(1).trim());
            if (!idx.matches()) {
                throw new IllegalArgumentException("unsupported placeholder ${" + m.group(1) + "} in '" + template
                        + "'");
            }
            int value = layer;
            if (idx.group(1) != null) {
                int k = Integer.parseInt(idx.group(2));
                value += idx.group(1).equals("+") ? k : -k;
            }
            m.appendReplacement(out, Integer.toString(value));
        }
        m.appendTail(out);
        return out.toString();
    }

    /** Checks that every placeholder in the template string is one {@link #forLayer} understands. */
    static boolean placeholdersValid(String template) {
        Matcher m = PLACEHOLDER.matcher(template);
        while (m.find()) {
            if (!LAYER_INDEX.matcher(m.group(1).trim()).matches()) {
                return false;
            }
        }
        return true;
    }
}
