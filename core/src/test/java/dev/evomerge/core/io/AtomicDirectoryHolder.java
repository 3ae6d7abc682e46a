package dev.evomerge.core.io;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A separate process for {@link AtomicDirectoryTest}: starts writing {@code args[0]}, prints the temporary
 * directory's path, and waits (until killed, or until its standard input closes) without committing.
 */
public final class AtomicDirectoryHolder {

    private AtomicDirectoryHolder() {
    }

    public static void main(String[] args) throws Exception {
        AtomicDirectory d = AtomicDirectory.create(Path.of(args[0]));
        Files.writeString(d.path().resolve("config.json"), "{}");
        System.out.println(d.path());
        System.out.flush();
        while (System.in.read() >= 0) {
            // wait
        }
    }
}
