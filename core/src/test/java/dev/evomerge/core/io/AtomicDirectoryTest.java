package dev.evomerge.core.io;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.safetensors.SafetensorsModel;
import dev.evomerge.core.safetensors.SafetensorsWriter;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.core.tensor.TensorInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AtomicDirectoryTest {

    @TempDir
    Path tmp;

    private List<String> entries(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesIntoAHiddenSiblingAndRenamesOnCommit() throws IOException {
        Path target = tmp.resolve("parent").resolve("out");
        try (AtomicDirectory d = AtomicDirectory.create(target)) {
            assertThat(d.path().getParent()).isEqualTo(target.getParent());
            assertThat(d.path().getFileName().toString()).startsWith(".out.tmp-");
            Files.writeString(d.path().resolve("config.json"), "{}");
            assertThat(target).doesNotExist();
            d.commit();
        }
        assertThat(target.resolve("config.json")).hasContent("{}");
        assertThat(entries(target.getParent())).containsExactly("out");
    }

    @Test
    void anExceptionMidWriteLeavesNothingAtTheTarget() throws IOException {
        Path target = tmp.resolve("merged");
        List<TensorInfo> plan = List.of(new TensorInfo("a", DType.F32, Shape.of(4)),
                new TensorInfo("b", DType.F32, Shape.of(4)));
        assertThatThrownBy(() -> {
            try (AtomicDirectory d = AtomicDirectory.create(target);
                 SafetensorsWriter w = SafetensorsWriter.create(d.path(), plan, 0)) {
                Files.writeString(d.path().resolve("config.json"), "{}");
                w.accept("a", Tensor.allocate(DType.F32, Shape.of(4)));
                throw new IllegalStateException("merge failed half way");
            }
        }).isInstanceOf(IllegalStateException.class).hasMessage("merge failed half way");
        assertThat(target).doesNotExist();
        assertThat(entries(tmp)).isEmpty();
    }

    @Test
    void aCompleteWriteAppearsWithItsModel() {
        Path target = tmp.resolve("model");
        List<TensorInfo> plan = List.of(new TensorInfo("a", DType.BF16, Shape.of(2)));
        try (AtomicDirectory d = AtomicDirectory.create(target)) {
            try (SafetensorsWriter w = SafetensorsWriter.create(d.path(), plan, 0)) {
                Tensor t = Tensor.allocate(DType.F32, Shape.of(2));
                t.setDouble(0, 0.75);
                t.setDouble(1, -4);
                w.accept("a", t);
                w.commit();
            }
            d.commit();
        }
        try (SafetensorsModel m = SafetensorsModel.open(target)) {
            assertThat(m.tensor("a").getDouble(0)).isEqualTo(0.75);
            assertThat(m.tensor("a").getDouble(1)).isEqualTo(-4.0);
        }
    }

    @Test
    void refusesANonEmptyTargetOrAFile() throws IOException {
        Path full = Files.createDirectories(tmp.resolve("full"));
        Files.writeString(full.resolve("keep.txt"), "mine");
        assertThatThrownBy(() -> AtomicDirectory.create(full)).isInstanceOf(EvomergeException.class)
                .hasMessageContaining(full.toString()).hasMessageContaining("not empty");
        assertThat(full.resolve("keep.txt")).hasContent("mine");

        Path file = Files.writeString(tmp.resolve("afile"), "x");
        assertThatThrownBy(() -> AtomicDirectory.create(file)).isInstanceOf(EvomergeException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("not a directory");
        assertThat(entries(tmp)).containsExactly("afile", "full");
    }

    @Test
    void replacesAnEmptyTargetDirectory() throws IOException {
        Path target = Files.createDirectories(tmp.resolve("empty"));
        try (AtomicDirectory d = AtomicDirectory.create(target)) {
            Files.writeString(d.path().resolve("f"), "1");
            d.commit();
        }
        assertThat(entries(target)).containsExactly("f");
        assertThat(entries(tmp)).containsExactly("empty");
    }

    @Test
    void commitFailsIfTheTargetFilledUpMeanwhileAndKeepsIt() throws IOException {
        Path target = tmp.resolve("race");
        try (AtomicDirectory d = AtomicDirectory.create(target)) {
            Files.writeString(d.path().resolve("ours"), "1");
            Files.createDirectories(target);
            Files.writeString(target.resolve("theirs"), "2");
            assertThatThrownBy(d::commit).isInstanceOf(EvomergeException.class)
                    .hasMessageContaining(target.toString());
        }
        assertThat(entries(target)).containsExactly("theirs");
        assertThat(entries(tmp)).containsExactly("race");
    }
}
