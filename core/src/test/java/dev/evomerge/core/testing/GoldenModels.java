package dev.evomerge.core.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/** Locates the reference models of {@code shared/golden} (beside the repository, as CI lays it out) for every module's tests. */
public final class GoldenModels {

    private GoldenModels() {
    }

    /** Walks up from the working directory until a {@code shared/golden} directory is found. */
    public static Path dir() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            Path g = d.resolve("shared").resolve("golden");
            if (Files.isDirectory(g)) {
                return g;
            }
        }
        throw new IllegalStateException("no shared/golden directory above " + Path.of("").toAbsolutePath()
                + " (CI checks out shared/ beside the repository)");
    }

    public static Path model(String name) {
        return dir().resolve(name);
    }
}
