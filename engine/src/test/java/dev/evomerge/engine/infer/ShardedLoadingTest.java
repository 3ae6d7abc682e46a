package dev.evomerge.engine.infer;

import dev.evomerge.core.testing.GoldenModels;
import dev.evomerge.core.safetensors.SafetensorsModel;
import dev.evomerge.core.safetensors.SafetensorsWriter;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.engine.CausalLanguageModel;
import dev.evomerge.engine.load.ModelLoader;
import dev.evomerge.engine.TestModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** A checkpoint split over two shards with model.safetensors.index.json loads to the same model. */
class ShardedLoadingTest {

    @TempDir
    Path tmp;

    @Test
    void shardedCheckpointGivesIdenticalLogprobs() throws IOException {
        Path single = GoldenModels.model("llama-pico-base");
        Path sharded = TestModels.withConfig(single, tmp.resolve("sharded"), c -> { });
        Files.delete(sharded.resolve("model.safetensors"));
        Map<String, Tensor> first = new LinkedHashMap<>();
        Map<String, Tensor> second = new LinkedHashMap<>();
        StringBuilder index = new StringBuilder("{\"metadata\": {}, \"weight_map\": {");
        try (SafetensorsModel src = SafetensorsModel.open(single)) {
            List<String> names = src.tensorNames();
            for (int i = 0; i < names.size(); i++) {
                boolean a = i % 2 == 0;
                (a ? first : second).put(names.get(i), src.tensor(names.get(i)));
                index.append(i == 0 ? "" : ", ").append('"').append(names.get(i)).append("\": \"model-0000")
                        .append(a ? 1 : 2).append("-of-00002.safetensors\"");
            }
            SafetensorsWriter.writeFile(sharded.resolve("model-00001-of-00002.safetensors"), first);
            SafetensorsWriter.writeFile(sharded.resolve("model-00002-of-00002.safetensors"), second);
        }
        Files.writeString(sharded.resolve("model.safetensors.index.json"), index.append("}}").toString());
        int[] ids = {1, 5, 9, 33, 200, 17, 45, 99};
        try (CausalLanguageModel a = ModelLoader.load(single); CausalLanguageModel b = ModelLoader.load(sharded)) {
            assertThat(b.tokenLogprobs(List.of(ids), 0).getFirst().tokenLogprobs())
                    .containsExactly(a.tokenLogprobs(List.of(ids), 0).getFirst().tokenLogprobs());
        }
    }
}
