package dev.evomerge.core.safetensors;

import dev.evomerge.core.EvomergeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SafetensorsModelTest {

    @TempDir
    Path tmp;

    /** A file holding U8 tensors of one byte each, with the given names and byte values, in that order. */
    private static void u8File(Path file, String[] names, int[] values) {
        StringBuilder h = new StringBuilder("{");
        byte[] data = new byte[names.length];
        for (int i = 0; i < names.length; i++) {
            if (i > 0) {
                h.append(',');
            }
            h.append('"').append(names[i]).append("\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[")
                    .append(i).append(',').append(i + 1).append("]}");
            data[i] = (byte) values[i];
        }
        h.append('}');
        RawSafetensors.write(file, h.toString(), data);
    }

    private Path dir(String name) throws IOException {
        return Files.createDirectories(tmp.resolve(name));
    }

    @Test
    void opensASingleFileByPath() {
        Path f = tmp.resolve("weights.safetensors");
        u8File(f, new String[] {"x", "y"}, new int[] {7, 9});
        try (SafetensorsModel m = SafetensorsModel.open(f)) {
            assertThat(m.files()).containsExactly(f);
            assertThat(m.tensorNames()).containsExactly("x", "y");
            assertThat(m.tensor("y").getDouble(0)).isEqualTo(9.0);
            assertThat(m.description()).isEqualTo(f.toString());
        }
    }

    @Test
    void prefersModelSafetensorsOverOtherFiles() throws IOException {
        Path d = dir("single");
        u8File(d.resolve("model.safetensors"), new String[] {"w"}, new int[] {1});
        u8File(d.resolve("adapter.safetensors"), new String[] {"w"}, new int[] {2});
        try (SafetensorsModel m = SafetensorsModel.open(d)) {
            assertThat(m.files()).containsExactly(d.resolve("model.safetensors"));
            assertThat(m.tensor("w").getDouble(0)).isEqualTo(1.0);
        }
    }

    @Test
    void opensUnindexedFilesInNameOrder() throws IOException {
        Path d = dir("multi");
        // Header order differs from storage order in b: storage order (offsets) wins.
        RawSafetensors.write(d.resolve("b.safetensors"),
                "{\"q\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]},"
                        + "\"p\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]}}", new byte[] {5, 6});
        u8File(d.resolve("a.safetensors"), new String[] {"z"}, new int[] {4});
        u8File(d.resolve(".hidden.safetensors"), new String[] {"h"}, new int[] {0});
        Files.writeString(d.resolve("config.json"), "{}");
        try (SafetensorsModel m = SafetensorsModel.open(d)) {
            assertThat(m.files()).containsExactly(d.resolve("a.safetensors"), d.resolve("b.safetensors"));
            assertThat(m.tensorNames()).containsExactly("z", "p", "q");
            assertThat(m.tensor("p").getDouble(0)).isEqualTo(5.0);
            assertThat(m.tensor("q").getDouble(0)).isEqualTo(6.0);
        }
    }

    @Test
    void duplicateNamesAcrossUnindexedFilesAreAnError() throws IOException {
        Path d = dir("dup");
        u8File(d.resolve("a.safetensors"), new String[] {"w", "v"}, new int[] {1, 1});
        u8File(d.resolve("b.safetensors"), new String[] {"w"}, new int[] {2});
        assertThatThrownBy(() -> SafetensorsModel.open(d)).isInstanceOf(EvomergeException.class)
                .hasMessageContaining("'w'").hasMessageContaining("a.safetensors")
                .hasMessageContaining("b.safetensors");
    }

    @Test
    void anIndexSelectsTensorsAndTheirShards() throws IOException {
        Path d = dir("idx");
        u8File(d.resolve("s2.safetensors"), new String[] {"b", "extra"}, new int[] {2, 3});
        u8File(d.resolve("s1.safetensors"), new String[] {"a", "b"}, new int[] {1, 9});
        Files.writeString(d.resolve("model.safetensors.index.json"),
                "{\"metadata\":{\"total_size\":999},"
                        + "\"weight_map\":{\"b\":\"s2.safetensors\",\"a\":\"s1.safetensors\"}}");
        try (SafetensorsModel m = SafetensorsModel.open(d)) {
            assertThat(m.files()).containsExactly(d.resolve("s1.safetensors"), d.resolve("s2.safetensors"));
            // Only listed tensors, each from the shard the index names (b from s2, not the copy in s1).
            assertThat(m.tensorNames()).containsExactly("a", "b");
            assertThat(m.tensor("b").getDouble(0)).isEqualTo(2.0);
            assertThat(m.info("extra")).isEmpty();
            assertThatThrownBy(() -> m.tensor("extra")).isInstanceOf(EvomergeException.class)
                    .hasMessageContaining("'extra'");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"/etc/passwd", "../outside.safetensors", "sub/../../x.safetensors", "..", ""})
    void indexShardNamesMustStayInsideTheDirectory(String shard) throws IOException {
        Path d = dir("escape");
        Files.writeString(d.resolve("model.safetensors.index.json"),
                "{\"weight_map\":{\"w\":\"" + shard + "\"}}");
        assertThatThrownBy(() -> SafetensorsModel.open(d)).isInstanceOf(EvomergeException.class)
                .hasMessageContaining("model.safetensors.index.json").hasMessageContaining("'w'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{", "[]", "{\"metadata\":{}}", "{\"weight_map\":[]}", "{\"weight_map\":{\"w\":3}}",
            "{\"weight_map\":{\"w\":\"a\",\"w\":\"b\"}}", "{\"weight_map\":{}} x"})
    void malformedIndexesAreUsageErrors(String json) throws IOException {
        Path d = dir("bad");
        Files.writeString(d.resolve("model.safetensors.index.json"), json);
        assertThatThrownBy(() -> SafetensorsModel.open(d)).isInstanceOf(EvomergeException.class)
                .hasMessageContaining(d.resolve("model.safetensors.index.json").toString());
    }

    @Test
    void indexNamingAMissingShardOrAbsentTensorIsAnError() throws IOException {
        Path d = dir("missing");
        u8File(d.resolve("s1.safetensors"), new String[] {"a"}, new int[] {1});
        Files.writeString(d.resolve("model.safetensors.index.json"),
                "{\"weight_map\":{\"a\":\"s1.safetensors\",\"b\":\"s2.safetensors\"}}");
        assertThatThrownBy(() -> SafetensorsModel.open(d)).isInstanceOf(EvomergeException.class)
                .hasMessageContaining("s2.safetensors").hasMessageContaining("'b'")
                .hasMessageContaining("does not exist");

        Files.writeString(d.resolve("model.safetensors.index.json"),
                "{\"weight_map\":{\"a\":\"s1.safetensors\",\"c\":\"s1.safetensors\"}}");
        assertThatThrownBy(() -> SafetensorsModel.open(d)).isInstanceOf(EvomergeException.class)
                .hasMessageContaining("'c'").hasMessageContaining("s1.safetensors")
                .hasMessageContaining("does not contain");
    }

    @Test
    void missingPathsAndEmptyDirectoriesAreUsageErrors() throws IOException {
        assertThatThrownBy(() -> SafetensorsModel.open(tmp.resolve("nope"))).isInstanceOf(EvomergeException.class)
                .hasMessageContaining("nope").hasMessageContaining("does not exist");
        Path empty = dir("empty");
        assertThatThrownBy(() -> SafetensorsModel.open(empty)).isInstanceOf(EvomergeException.class)
                .hasMessageContaining(empty.toString()).hasMessageContaining("no .safetensors");
    }

    @Test
    void aCorruptShardIsReportedWithItsPath() throws IOException {
        Path d = dir("corrupt");
        u8File(d.resolve("a.safetensors"), new String[] {"a"}, new int[] {1});
        Files.write(d.resolve("b.safetensors"), new byte[] {1, 2, 3});
        assertThatThrownBy(() -> SafetensorsModel.open(d)).isInstanceOf(EvomergeException.class)
                .hasMessageContaining("b.safetensors");
    }
}
