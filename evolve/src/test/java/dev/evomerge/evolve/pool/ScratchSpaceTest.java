package dev.evomerge.evolve.pool;

import dev.evomerge.evolve.run.Candidate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The scratch folder: where it goes, what a stopped run left in it, and that nothing stays after the run. */
class ScratchSpaceTest {

    @Test
    void theDefaultIsDevShmWhenTheCopiesFitElseTheStoragePath(@TempDir Path storage) throws Exception {
        long free = Files.getFileStore(ScratchSpace.SHM).getUsableSpace();
        assertThat(ScratchSpace.defaultParent(storage, 1 << 20, 4)).isEqualTo(ScratchSpace.SHM);
        assertThat(ScratchSpace.defaultParent(storage, free / 2 + 1, 2)).isEqualTo(storage);
    }

    @Test
    void aResumedRunRemovesWhatAStoppedOneLeftAndTheRunsEndRemovesTheFolder(@TempDir Path dir) throws Exception {
        Path storage = dir.resolve("run");
        Path parent = dir.resolve("scratch");
        List<String> warnings = new ArrayList<>();
        Path root;
        try (ScratchSpace first = ScratchSpace.open(parent, storage, 0, 3, warnings::add)) {
            root = first.root();
            assertThat(root.getParent()).isEqualTo(parent.toAbsolutePath());
            Files.createDirectories(root.resolve("candidate-0-1"));
            Files.writeString(root.resolve("candidate-0-1/model.safetensors"), "x");
            // the next open is a resumed run of the same storage: the same folder, emptied
            try (ScratchSpace again = ScratchSpace.open(parent, storage, 0, 3, warnings::add)) {
                assertThat(again.root()).isEqualTo(root);
                assertThat(root).isEmptyDirectory();
                Candidate c = Candidate.stored(2, 5, new double[0], "merge_method: linear\n", "test");
                assertThat(again.dirOf(c)).isEqualTo(root.resolve("candidate-2-5"));
            }
        }
        assertThat(warnings).containsExactly("Removed " + root.resolve("candidate-0-1")
                + ", a candidate a stopped run left in the scratch folder.");
        assertThat(root).doesNotExist();
        try (ScratchSpace other = ScratchSpace.open(parent, dir.resolve("other-run"), 0, 3, warnings::add)) {
            assertThat(other.root()).isNotEqualTo(root); // another run's folder
        }
    }
}
