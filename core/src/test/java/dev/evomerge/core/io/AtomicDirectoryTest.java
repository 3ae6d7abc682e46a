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

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
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
            assertThat(d.locked()).isTrue();
            assertThat(AtomicDirectory.state(d.path())).isEqualTo(AtomicDirectory.TemporaryState.WRITING);
            Files.writeString(d.path().resolve("config.json"), "{}");
            assertThat(target).doesNotExist();
            d.commit();
        }
        assertThat(target.resolve("config.json")).hasContent("{}");
        assertThat(entries(target.getParent())).containsExactly("out");
        // the writer's lock file does not become part of the output
        assertThat(entries(target)).containsExactly("config.json");
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

    /** Starts a separate JVM that begins writing {@code target} and returns it with its temporary directory. */
    private static Object[] startHolder(Path target) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                AtomicDirectoryHolder.class.getName(), target.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        assertThat(line).as("the holder process printed its temporary directory").isNotNull();
        return new Object[] {p, Path.of(line)};
    }

    @Test
    void aKilledWritersTemporaryIsRemovedByTheNextWriteOfTheSameTarget() throws Exception {
        Path target = tmp.resolve("out");
        Object[] h = startHolder(target);
        Process p = (Process) h[0];
        Path theirs = (Path) h[1];
        try {
            assertThat(AtomicDirectory.targetOf(theirs)).contains("out");
            assertThat(AtomicDirectory.state(theirs)).isEqualTo(AtomicDirectory.TemporaryState.WRITING);
            // a write of the same target while the other process runs leaves its temporary alone
            try (AtomicDirectory d = AtomicDirectory.create(target)) {
                assertThat(d.removedAbandoned()).isEmpty();
                assertThat(AtomicDirectory.temporariesOf(target)).extracting(AtomicDirectory.Temporary::path)
                        .contains(theirs, d.path());
            }
            assertThat(theirs).isDirectory();
        } finally {
            p.destroyForcibly(); // SIGKILL: no shutdown hooks, no cleanup
            assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(theirs.resolve("config.json")).exists();
        assertThat(AtomicDirectory.state(theirs)).isEqualTo(AtomicDirectory.TemporaryState.ABANDONED);
        assertThat(AtomicDirectory.temporariesIn(tmp)).containsExactly(
                new AtomicDirectory.Temporary(theirs, "out", AtomicDirectory.TemporaryState.ABANDONED));
        // another target in the same folder does not touch it
        try (AtomicDirectory other = AtomicDirectory.create(tmp.resolve("other"))) {
            assertThat(other.removedAbandoned()).isEmpty();
        }
        assertThat(theirs).isDirectory();
        try (AtomicDirectory d = AtomicDirectory.create(target)) {
            assertThat(d.removedAbandoned()).containsExactly(theirs);
            Files.writeString(d.path().resolve("f"), "1");
            d.commit();
        }
        assertThat(entries(tmp)).containsExactly("out");
    }

    @Test
    void aTemporaryWithoutALockIsLeftAlone() throws IOException {
        // e.g. written by an earlier evomerge: nobody can tell whether its writer still runs
        Path legacy = Files.createDirectories(tmp.resolve(".out.tmp-0123456789ab"));
        assertThat(AtomicDirectory.state(legacy)).isEqualTo(AtomicDirectory.TemporaryState.UNKNOWN);
        try (AtomicDirectory d = AtomicDirectory.create(tmp.resolve("out"))) {
            assertThat(d.removedAbandoned()).isEmpty();
        }
        assertThat(legacy).isDirectory();
        assertThat(AtomicDirectory.targetOf(tmp.resolve("out"))).isEmpty();
        assertThat(AtomicDirectory.targetOf(tmp.resolve(".hidden"))).isEmpty();
        assertThat(AtomicDirectory.targetOf(tmp.resolve(".a.b.tmp-x"))).contains("a.b");
    }

    @Test
    void reasonsSayWhyAFolderCannotTakeADirectory() throws IOException {
        Path missing = tmp.resolve("missing");
        assertThat(AtomicDirectory.reason(missing, new NoSuchFileException(missing.toString())))
                .isEqualTo("no such folder");
        Path file = Files.writeString(tmp.resolve("file"), "x");
        assertThat(AtomicDirectory.reason(file, new IOException("Not a directory"))).isEqualTo("it is not a folder");
        assertThat(AtomicDirectory.reason(tmp, new AccessDeniedException(tmp.toString())))
                .isEqualTo("permission denied (the folder is not writable by this user)");
        // through create: a parent that is a file
        assertThatThrownBy(() -> AtomicDirectory.create(file.resolve("out"))).isInstanceOf(EvomergeException.class)
                .hasMessage("Cannot create the parent directory " + file + " of output " + file.resolve("out")
                        + ": it is not a folder.");
    }
}
