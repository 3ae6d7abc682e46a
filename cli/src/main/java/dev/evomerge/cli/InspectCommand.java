package dev.evomerge.cli;

import dev.evomerge.core.io.AtomicDirectory;
import dev.evomerge.core.model.ArchitectureTemplate;
import dev.evomerge.core.model.Architectures;
import dev.evomerge.core.model.ModelConfig;
import dev.evomerge.core.model.ModelDirectory;
import dev.evomerge.core.safetensors.SafetensorsModel;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.TensorInfo;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Callable;

/** {@code evomerge inspect DIR}: what a model directory holds, read from its config and safetensors headers. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "Show a model's architecture, size, dtypes and parameter count (no weights are read).")
final class InspectCommand extends CliCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "DIR", description = "A Hugging Face model directory.")
    Path dir;

    @Option(names = "--tensors", description = "Also list every tensor with its dtype and shape.")
    boolean tensors;

    @Override
    public Integer call() {
        // Unfinished temporaries first: they matter even when the folder itself is no model.
        Optional<String> target = AtomicDirectory.targetOf(dir);
        if (target.isPresent() && Files.isDirectory(dir)) {
            row("status", "NOT A COMPLETE MODEL: " + describe(target.get(), AtomicDirectory.state(dir)));
        }
        List<AtomicDirectory.Temporary> temporaries = new ArrayList<>(AtomicDirectory.temporariesIn(dir));
        if (target.isEmpty()) {
            temporaries.addAll(AtomicDirectory.temporariesOf(dir));
        }
        for (AtomicDirectory.Temporary t : temporaries) {
            row("temporary", t.path() + ": " + describe(t.target(), t.state()));
        }
        out().flush();
        try (ModelDirectory model = ModelDirectory.open(dir)) {
            ModelConfig config = model.config();
            SafetensorsModel weights = model.tensors();
            List<TensorInfo> infos = new ArrayList<>();
            for (String name : weights.tensorNames()) {
                infos.add(weights.info(name).orElseThrow());
            }
            Optional<ArchitectureTemplate> known = Architectures.builtIn().find(config);
            ArchitectureTemplate arch = known.orElseGet(() -> Architectures.infer(weights.tensorNames()));
            String classes = config.architectures().isEmpty() ? "(none)" : String.join(", ", config.architectures());
            String modelType = config.has("model_type") ? config.get("model_type").orElseThrow().asText() : "(none)";
            row("model", dir.toString());
            row("architecture", classes + " (model_type " + modelType + ", "
                    + (known.isPresent() ? "template " + arch.modelType() : "no template: inferred from tensor names")
                    + ")");
            row("layers", layers(arch, config));
            row("hidden size", text(config.optionalInt("hidden_size")));
            row("vocab size", text(config.optionalInt("vocab_size")));
            row("config dtype", config.torchDtype().map(DType::torchName).orElse("?"));
            row("tensors", infos.size() + " in " + weights.files().size()
                    + (weights.files().size() == 1 ? " file" : " files"));
            row("dtypes", dtypes(infos));
            long params = infos.stream().mapToLong(t -> t.shape().numel()).sum();
            long bytes = infos.stream().mapToLong(TensorInfo::byteSize).sum();
            row("parameters", String.format(Locale.ROOT, "%,d (%,d bytes)", params, bytes));
            if (tensors) {
                out().println();
                int width = infos.stream().mapToInt(t -> t.name().length()).max().orElse(0);
                for (TensorInfo t : infos) {
                    out().printf(Locale.ROOT, "%-" + width + "s  %-8s  %s%n", t.name(), t.dtype().torchName(),
                            t.shape());
                }
            }
        }
        out().flush();
        return 0;
    }

    private static String describe(String target, AtomicDirectory.TemporaryState state) {
        String what = "the unfinished temporary directory of a write of " + target;
        return switch (state) {
            case WRITING -> what + ", still being written by a running process";
            case ABANDONED -> what + ", abandoned by a process that is gone (it will never be completed; the next"
                    + " write of " + target + " deletes it, or delete it yourself)";
            case UNKNOWN -> what + " (whether its writer still runs cannot be told: it has no lock file)";
        };
    }

    private static String layers(ArchitectureTemplate arch, ModelConfig config) {
        if (arch.overrideNumLayers().isPresent()) {
            return arch.overrideNumLayers().getAsInt() + " (counted from tensor names)";
        }
        String key = arch.numLayersConfigKey().orElse(ModelConfig.DEFAULT_LAYER_COUNT_KEY);
        return text(config.optionalInt(key));
    }

    private static String dtypes(List<TensorInfo> infos) {
        Map<DType, Integer> counts = new LinkedHashMap<>();
        for (TensorInfo t : infos) {
            counts.merge(t.dtype(), 1, Integer::sum);
        }
        List<String> parts = new ArrayList<>();
        counts.entrySet().stream().sorted(Map.Entry.<DType, Integer>comparingByValue().reversed())
                .forEach(e -> parts.add(e.getKey().torchName() + " x " + e.getValue()));
        return parts.isEmpty() ? "(none)" : String.join(", ", parts);
    }

    private static String text(OptionalInt v) {
        return v.isPresent() ? Integer.toString(v.getAsInt()) : "?";
    }

    private void row(String key, String value) {
        out().printf(Locale.ROOT, "%-14s%s%n", key, value);
    }
}
