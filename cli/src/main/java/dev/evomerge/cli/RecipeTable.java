package dev.evomerge.cli;

import dev.evomerge.core.model.ModelDirectory;
import dev.evomerge.evolve.genome.GeneLayout;
import dev.evomerge.evolve.genome.Genome;

import java.util.List;
import java.util.Locale;

/** The closing table of a run: the best recipe's parameter values per layer group and model, as the merge sees them. */
final class RecipeTable {

    private RecipeTable() {
    }

    static String render(Genome genome, double[] genes) {
        GeneLayout l = genome.layout();
        List<String> models = genome.definition().models();
        List<String> filters = genome.definition().filters();
        int width = Math.max(10, models.stream().mapToInt(m -> ModelDirectory.shortName(m).length()).max().orElse(0) + 2);
        StringBuilder sb = new StringBuilder();
        for (int p = 0; p < l.parametersPerSet(); p++) {
            String param = l.parameters().get(p);
            for (int s = 0; s < l.parameterSets(); s++) {
                sb.append(param);
                if (l.parameterSets() > 1) {
                    sb.append(" [").append(s < filters.size() ? filters.get(s) : "other tensors").append(']');
                }
                sb.append('\n').append(String.format(Locale.ROOT, "%-14s", "layers"));
                for (String m : models) {
                    sb.append(String.format(Locale.ROOT, "%" + width + "s", ModelDirectory.shortName(m)));
                }
                sb.append('\n');
                for (int g = 0; g < l.layerGroups(); g++) {
                    List<Integer> r = genome.layerRange(g);
                    sb.append(String.format(Locale.ROOT, "%-14s", r.get(0) + "-" + (r.get(1) - 1)));
                    for (int m = 0; m < l.models(); m++) {
                        double v = genome.transform(param, genes[l.index(g, m, s, p)]);
                        sb.append(String.format(Locale.ROOT, "%" + width + ".3f", v));
                    }
                    sb.append('\n');
                }
            }
        }
        return sb.toString();
    }
}
