package dev.evomerge.core.io;

import dev.evomerge.core.EvomergeException;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Replaces one file as a whole: the bytes go to a temporary sibling (default permissions) that is renamed over the
 * target, so a reader sees the old file or the new one, never a half-written one.
 */
public final class AtomicFile {

    private AtomicFile() {
    }

    public static void write(Path target, byte[] bytes) {
        Path tmp = target.resolveSibling("." + target.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
        try {
            Files.write(tmp, bytes);
            try {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException e) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // the original failure is the one to report
            }
            throw EvomergeException.runtime("Cannot write " + target + ": " + e.getMessage(), e);
        }
    }
}
