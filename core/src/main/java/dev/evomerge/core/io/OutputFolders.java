package dev.evomerge.core.io;

import dev.evomerge.core.EvomergeException;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks, before any work, that a folder the command will write into can exist: no file stands on its path and the
 * nearest existing folder is writable. An evaluation or a run that could never save its output is refused up front
 * instead of failing at the end.
 */
public final class OutputFolders {

    private OutputFolders() {
    }

    /**
     * @param folder the folder to write into (created later if missing)
     * @param what   what names it in the sentence, e.g. "--storage-path /runs/a"
     */
    public static void requireCreatable(Path folder, String what) {
        Path target = folder.toAbsolutePath();
        for (Path q = target; q != null; q = q.getParent()) {
            if (Files.exists(q)) {
                if (!Files.isDirectory(q)) {
                    throw EvomergeException.usage(what + ": " + q + " is a file, not a folder.");
                }
                if (!Files.isWritable(q)) {
                    throw EvomergeException.usage(what + ": " + q + " is not writable by this user.");
                }
                return;
            }
        }
    }
}
