package dev.evomerge.merge.output;

import dev.evomerge.merge.config.MergeConfig;
import dev.evomerge.merge.config.ModelReference;

import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The README.md written next to a merged model: Hugging Face front matter (base models that look like Hub repo
 * ids, mergekit tags), the method with its paper, the base model, the merged models and the YAML config.
 */
public final class ModelCard {

    private record MethodInfo(String title, String url) {
    }

    private static final Map<String, MethodInfo> METHODS = Map.ofEntries(
            Map.entry("linear", new MethodInfo("Linear", "https://arxiv.org/abs/2203.05482")),
            Map.entry("task_arithmetic", new MethodInfo("Task Arithmetic", "https://arxiv.org/abs/2212.04089")),
            Map.entry("ties", new MethodInfo("TIES", "https://arxiv.org/abs/2306.01708")),
            Map.entry("dare_ties", new MethodInfo("DARE TIES", "https://arxiv.org/abs/2311.03099")),
            Map.entry("dare_linear", new MethodInfo("Linear DARE", "https://arxiv.org/abs/2311.03099")),
            Map.entry("breadcrumbs", new MethodInfo("Model Breadcrumbs", "https://arxiv.org/abs/2312.06795")),
            Map.entry("breadcrumbs_ties", new MethodInfo("Model Breadcrumbs with TIES",
                    "https://arxiv.org/abs/2312.06795")),
            Map.entry("della", new MethodInfo("DELLA", "https://arxiv.org/abs/2406.11617")),
            Map.entry("della_linear", new MethodInfo("Linear DELLA", "https://arxiv.org/abs/2406.11617")),
            Map.entry("slerp", new MethodInfo("SLERP", "https://en.wikipedia.org/wiki/Slerp")),
            Map.entry("nuslerp", new MethodInfo("NuSLERP", null)),
            Map.entry("multislerp", new MethodInfo("Multi-SLERP", null)),
            Map.entry("karcher", new MethodInfo("Karcher Mean", "https://en.wikipedia.org/wiki/Karcher_mean")),
            Map.entry("model_stock", new MethodInfo("Model Stock", "https://arxiv.org/abs/2403.19522")),
            Map.entry("nearswap", new MethodInfo("Nearswap", null)),
            Map.entry("arcee_fusion", new MethodInfo("Arcee Fusion", null)),
            Map.entry("sce", new MethodInfo("SCE", "https://arxiv.org/abs/2408.07990")),
            Map.entry("ram", new MethodInfo("RAM", null)),
            Map.entry("ramplus_tl", new MethodInfo("RAM+ (TL)", null)),
            Map.entry("passthrough", new MethodInfo("Passthrough", null)));

    /** owner/name, the shape of a Hugging Face Hub repository id. */
    private static final Pattern HUB_ID = Pattern.compile("[A-Za-z0-9][\\w.-]*/[\\w.-]+");

    private ModelCard() {
    }

    /** The README.md text. */
    public static String render(MergeConfig config, String yaml, String title) {
        ModelReference base = config.baseModel();
        List<ModelReference> others = config.referencedModels().stream().filter(m -> !m.equals(base)).toList();
        StringBuilder b = new StringBuilder();
        b.append("---\n");
        List<ModelReference> hub = config.referencedModels().stream()
                .filter(m -> HUB_ID.matcher(m.path()).matches()).toList();
        if (!hub.isEmpty()) {
            b.append("base_model:\n");
            hub.forEach(m -> b.append("- ").append(m.path()).append('\n'));
        }
        b.append("library_name: transformers\ntags:\n- mergekit\n- merge\n- evomerge\n---\n");
        b.append("# ").append(title).append("\n\n");
        b.append("A merge of pre-trained language models, made by evomerge with a mergekit configuration.\n\n");
        b.append("## Merge details\n\n### Method\n\n");
        MethodInfo info = METHODS.getOrDefault(config.mergeMethod(), new MethodInfo(config.mergeMethod(), null));
        String method = info.url() == null ? info.title() : "[" + info.title() + "](" + info.url() + ")";
        b.append("Merge method: ").append(method);
        if (base != null && !config.mergeMethod().equals("slerp")) {
            b.append(", with ").append(base).append(" as the base model");
        }
        b.append(".\n\n### Models\n\n");
        if (others.isEmpty()) {
            b.append("No models besides the base.\n");
        } else {
            b.append("The merge combines:\n");
            others.forEach(m -> b.append("* ").append(m).append('\n'));
        }
        b.append("\n### Configuration\n\nThe YAML configuration that produced this model:\n\n```yaml\n")
                .append(yaml.endsWith("\n") ? yaml : yaml + "\n").append("```\n");
        return b.toString();
    }
}
