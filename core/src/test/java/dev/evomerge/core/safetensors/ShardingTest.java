package dev.evomerge.core.safetensors;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.core.tensor.TensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

class ShardingTest {

    @TempDir
    Path tmp;

    private static TensorInfo u8(String name, long bytes) {
        return new TensorInfo(name, DType.U8, Shape.of(bytes));
    }

    private static List<List<String>> names(List<List<TensorInfo>> shards) {
        return shards.stream().map(s -> s.stream().map(TensorInfo::name).toList()).toList();
    }

    @Test
    void fillsAShardUpToExactlyTheLimit() {
        // 4 + 4 = 8 is not above 8, so b joins a; c would make 12 > 8 and opens the next shard.
        var shards = ShardLayout.assign(List.of(u8("a", 4), u8("b", 4), u8("c", 4)), 8);
        assertThat(names(shards)).isEqualTo(List.of(List.of("a", "b"), List.of("c")));
    }

    @Test
    void aTensorLargerThanTheLimitSitsAloneInItsShard() {
        var shards = ShardLayout.assign(List.of(u8("a", 2), u8("big", 20), u8("c", 2), u8("d", 6)), 8);
        assertThat(names(shards)).isEqualTo(List.of(List.of("a"), List.of("big"), List.of("c", "d")));
        var first = ShardLayout.assign(List.of(u8("big", 20), u8("x", 1)), 8);
        assertThat(names(first)).isEqualTo(List.of(List.of("big"), List.of("x")));
    }

    @Test
    void dtypeSizeCountsInBytesAndZeroMeansNoLimit() {
        // 3 x F32 = 12 bytes, 2 x BF16 = 4 bytes: 12 + 4 = 16 fits a 16-byte limit, one more byte does not.
        List<TensorInfo> plan = List.of(new TensorInfo("f", DType.F32, Shape.of(3)),
                new TensorInfo("h", DType.BF16, Shape.of(2)), u8("u", 1));
        assertThat(names(ShardLayout.assign(plan, 16))).isEqualTo(List.of(List.of("f", "h"), List.of("u")));
        assertThat(names(ShardLayout.assign(plan, 0))).isEqualTo(List.of(List.of("f", "h", "u")));
        assertThat(names(ShardLayout.assign(plan, -1))).isEqualTo(List.of(List.of("f", "h", "u")));
        assertThat(names(ShardLayout.assign(List.of(), 16))).isEqualTo(List.of(List.of()));
    }

    @Test
    void namesShardsLikeTransformers() {
        assertThat(ShardLayout.shardFileName(0, 3)).isEqualTo("model-00001-of-00003.safetensors");
        assertThat(ShardLayout.shardFileName(11, 12)).isEqualTo("model-00012-of-00012.safetensors");
    }

    @Test
    void writesShardsAndASortedIndex() throws IOException {
        Path dir = tmp.resolve("m");
        List<TensorInfo> plan = List.of(new TensorInfo("z.w", DType.F32, Shape.of(2)),
                new TensorInfo("a.w", DType.F32, Shape.of(2)), u8("m.b", 3));
        try (SafetensorsWriter w = SafetensorsWriter.create(dir, plan, 10)) {
            Tensor z = Tensor.allocate(DType.F32, Shape.of(2));
            z.setDouble(0, 1.5);
            z.setDouble(1, -1);
            Tensor a = Tensor.allocate(DType.F32, Shape.of(2));
            a.setDouble(0, 2.5);
            Tensor m = Tensor.allocate(DType.U8, Shape.of(3));
            m.setDouble(2, 200);
            w.accept("m.b", m);
            w.accept("z.w", z);
            w.accept("a.w", a);
            w.commit();
        }
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString()).sorted().toList()).containsExactly(
                    "model-00001-of-00003.safetensors", "model-00002-of-00003.safetensors",
                    "model-00003-of-00003.safetensors", "model.safetensors.index.json");
        }
        String expectedIndex = """
                {
                  "metadata": {
                    "total_size": 19
                  },
                  "weight_map": {
                    "a.w": "model-00002-of-00003.safetensors",
                    "m.b": "model-00003-of-00003.safetensors",
                    "z.w": "model-00001-of-00003.safetensors"
                  }
                }
                """;
        assertThat(Files.readString(dir.resolve("model.safetensors.index.json"))).isEqualTo(expectedIndex);

        try (SafetensorsModel model = SafetensorsModel.open(dir)) {
            assertThat(model.files()).containsExactly(dir.resolve("model-00001-of-00003.safetensors"),
                    dir.resolve("model-00002-of-00003.safetensors"), dir.resolve("model-00003-of-00003.safetensors"));
            assertThat(model.tensorNames()).containsExactly("z.w", "a.w", "m.b");
            assertThat(model.tensor("z.w").getDouble(0)).isEqualTo(1.5);
            assertThat(model.tensor("z.w").getDouble(1)).isEqualTo(-1.0);
            assertThat(model.tensor("a.w").getDouble(0)).isEqualTo(2.5);
            assertThat(model.tensor("m.b").getDouble(2)).isEqualTo(200.0);
            assertThat(model.fileOf("a.w").orElseThrow().path()).isEqualTo(
                    dir.resolve("model-00002-of-00003.safetensors"));
        }
    }

    @Test
    void oneShardIsModelSafetensorsWithoutIndex() throws IOException {
        Path dir = tmp.resolve("one");
        List<TensorInfo> plan = List.of(u8("a", 3), u8("b", 5));
        try (SafetensorsWriter w = SafetensorsWriter.create(dir, plan, 8)) {
            w.accept("a", Tensor.allocate(DType.U8, Shape.of(3)));
            w.accept("b", Tensor.allocate(DType.U8, Shape.of(5)));
            w.commit();
        }
        try (Stream<Path> s = Files.list(dir)) {
            assertThat(s.map(p -> p.getFileName().toString()).toList()).containsExactly("model.safetensors");
        }
    }

    @Test
    void anEmptyPlanWritesAHeaderOnlyModel() {
        Path dir = tmp.resolve("empty");
        try (SafetensorsWriter w = SafetensorsWriter.create(dir, List.of(), 8)) {
            w.commit();
        }
        // {"__metadata__":{"format":"pt"}} is 32 bytes, already a multiple of 8: no padding.
        byte[] bytes = RawSafetensors.read(dir.resolve("model.safetensors"));
        assertThat(bytes).hasSize(8 + 32);
        assertThat(new String(bytes, 8, 32, StandardCharsets.US_ASCII))
                .isEqualTo("{\"__metadata__\":{\"format\":\"pt\"}}");
        try (SafetensorsModel m = SafetensorsModel.open(dir)) {
            assertThat(m.tensorNames()).isEmpty();
        }
    }

    @Test
    void indexEscapesLikePythonJsonDumps() {
        List<TensorInfo> plan = List.of(u8("b\u00e9\"q", 8), u8("a\\\n\u007f", 8));
        String index = SafetensorsWriter.indexJson(ShardLayout.of(plan, 8, SafetensorsWriter.DEFAULT_METADATA));
        // Python: json.dumps({"b\u00e9\"q": 1}) spells the key "b\u00e9\"q"; DEL (0x7f) is escaped too.
        assertThat(index).contains("\"a\\\\\\n\\u007f\": \"model-00002-of-00002.safetensors\",\n"
                + "    \"b\\u00e9\\\"q\": \"model-00001-of-00002.safetensors\"\n");
    }
}
