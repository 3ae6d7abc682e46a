package dev.evomerge.core.model;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Infers an architecture from tensor names, as mergekit does for models without a template: a name is split at its
 * first {@code .<digits>.} into a layer template; the layer count is the largest index + 1; a weight missing from any
 * layer or any model is optional; every tensor outside the layers is a pre-weight (there are no post-weights) and
 * there is no layer-count key (the inferred count is fixed in the template). Which tensors are embeddings is decided
 * by name (mergekit asks transformers): {@code embed_tokens}, {@code wte}, {@code word_embeddings},
 * {@code tok_embeddings}, {@code lm_head} and {@code embed_out} weights count; an output embedding is optional and
 * tied to the first input embedding.
 */
final class ArchitectureInference {

    static final String INFERRED_MODEL_TYPE = "inferred";

    private static final Pattern LAYER_INDEX = Pattern.compile("\\.(\\d+)\\.");
    private static final List<String> INPUT_EMBEDDINGS =
            List.of("embed_tokens.weight", "wte.weight", "word_embeddings.weight", "tok_embeddings.weight");
    private static final List<String> OUTPUT_EMBEDDINGS = List.of("lm_head.weight", "embed_out.weight");

    private ArchitectureInference() {
    }

    static ArchitectureTemplate infer(List<List<String>> models) {
        // template -> per model, the set of layer indices it appears in; insertion order = first appearance
        Map<String, List<Set<Integer>>> layerPresence = new LinkedHashMap<>();
        Map<String, Set<Integer>> otherPresence = new LinkedHashMap<>();
        int numLayers = 0;
        for (int m = 0; m < models.size(); m++) {
            for (String name : models.get(m)) {
                Matcher matcher = LAYER_INDEX.matcher(name);
                if (matcher.find()) {
                    int index = Integer.parseInt(matcher.group(1));
                    numLayers = Math.max(numLayers, index + 1);
                    String template = name.substring(0, matcher.start(1)) + "${layer_index}"
                            + name.substring(matcher.end(1));
                    List<Set<Integer>> perModel = layerPresence.computeIfAbsent(template, k -> newSets(models.size()));
                    perModel.get(m).add(index);
                } else {
                    otherPresence.computeIfAbsent(name, k -> new HashSet<>()).add(m);
                }
            }
        }
        Optional<String> inputEmbedding = otherPresence.keySet().stream().filter(n -> endsWithAny(n, INPUT_EMBEDDINGS))
                .findFirst();
        List<WeightTemplate> pre = new ArrayList<>();
        for (Map.Entry<String, Set<Integer>> e : otherPresence.entrySet()) {
            String name = e.getKey();
            boolean missingSomewhere = e.getValue().size() < models.size();
            if (endsWithAny(name, OUTPUT_EMBEDDINGS)) {
                List<String> tied = inputEmbedding.map(List::of).orElse(List.of());
                pre.add(new WeightTemplate(name, true, missingSomewhere || !tied.isEmpty(), tied));
            } else {
                pre.add(new WeightTemplate(name, endsWithAny(name, INPUT_EMBEDDINGS), missingSomewhere, List.of()));
            }
        }
        List<WeightTemplate> layers = new ArrayList<>();
        for (Map.Entry<String, List<Set<Integer>>> e : layerPresence.entrySet()) {
            boolean optional = false;
            for (Set<Integer> present : e.getValue()) {
                optional |= present.size() < numLayers;
            }
            String template = e.getKey();
            layers.add(new WeightTemplate(template, endsWithAny(template, INPUT_EMBEDDINGS)
                    || endsWithAny(template, OUTPUT_EMBEDDINGS), optional, List.of()));
        }
        return new ArchitectureTemplate(INFERRED_MODEL_TYPE, List.of(), Optional.empty(), OptionalInt.of(numLayers),
                pre, layers, List.of());
    }

    private static List<Set<Integer>> newSets(int n) {
        List<Set<Integer>> sets = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            sets.add(new HashSet<>());
        }
        return sets;
    }

    private static boolean endsWithAny(String name, List<String> suffixes) {
        for (String s : suffixes) {
            if (name.equals(s) || name.endsWith("." + s)) {
                return true;
            }
        }
        return false;
    }
}
