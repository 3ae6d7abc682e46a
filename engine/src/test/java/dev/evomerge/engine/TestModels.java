package dev.evomerge.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthArch;
import dev.evomerge.core.synth.SynthModelSpec;
import dev.evomerge.core.tensor.DType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.stream.Stream;

/** Tiny synthetic models and helpers shared by the engine tests. */
public final class TestModels {

    private TestModels() {
    }

    /** A tiny model of the given architecture: vocab 300, hidden 64, 4 heads / 2 KV heads, 2 layers. */
    public static Path synth(Path out, SynthArch arch, DType dtype, boolean tied, boolean llama3Rope, long seed) {
        SynthModelSpec spec = new SynthModelSpec(arch, 300, 64, 2, 4, 2, 128, dtype, seed, tied, llama3Rope);
        return ModelSynthesizer.write(spec, out).directory();
    }

    /** A copy of model directory {@code src} at {@code dst} with config.json edited by {@code edit}. */
    public static Path withConfig(Path src, Path dst, Consumer<ObjectNode> edit) {
        try {
            Files.createDirectories(dst);
            try (Stream<Path> files = Files.list(src)) {
                for (Path f : files.toList()) {
                    Files.copy(f, dst.resolve(f.getFileName()));
                }
            }
            ObjectMapper json = new ObjectMapper();
            ObjectNode config = (ObjectNode) json.readTree(dst.resolve("config.json").toFile());
            edit.accept(config);
            json.writerWithDefaultPrettyPrinter().writeValue(dst.resolve("config.json").toFile(), config);
            return dst;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** n token ids drawn uniformly from [0, vocab). */
    public static int[] randomIds(SplittableRandom rnd, int n, int vocab) {
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = rnd.nextInt(vocab);
        }
        return ids;
    }
}
