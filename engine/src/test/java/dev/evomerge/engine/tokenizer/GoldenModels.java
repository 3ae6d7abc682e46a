package dev.evomerge.engine.tokenizer;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

import java.nio.file.Files;
import java.nio.file.Path;

/** Finds the shared golden models: a {@code shared/golden} directory in the working directory or one above it. */
final class GoldenModels {

    private GoldenModels() {
    }

    static Path dir(String model) {
        Path start = Path.of("").toAbsolutePath();
        for (Path p = start; p != null; p = p.getParent()) {
            Path candidate = p.resolve("shared").resolve("golden").resolve(model);
            if (Files.isDirectory(candidate)) {
                return candidate;
            }
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            Assertions.fail("shared/golden/" + model + " not found above " + start);
        }
        Assumptions.abort("shared/golden/" + model + " not found above " + start);
        throw new AssertionError("unreachable");
    }
}
