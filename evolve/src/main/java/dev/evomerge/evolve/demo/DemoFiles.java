package dev.evomerge.evolve.demo;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.PythonJson;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The demos' file helpers: a new or empty work folder, and model paths as the genome files write them. */
final class DemoFiles {

    private DemoFiles() {
    }

    /** Creates {@code dir}, refusing one that already holds files. */
    static void requireEmpty(Path dir) {
        try {
            Files.createDirectories(dir);
            try (var s = Files.list(dir)) {
                if (s.findAny().isPresent()) {
                    throw EvomergeException.usage("The demo folder " + dir + " is not empty; give a new or empty --work-dir.");
                }
            }
        } catch (IOException e) {
            throw EvomergeException.usage("Cannot create the demo folder " + dir + ": " + e.getMessage() + ".", e);
        }
    }

    /** Absolute paths: relative ones resolve against the working directory (as in mergekit), not the genome's folder. */
    static String absolute(Path p) {
        return p.toAbsolutePath().normalize().toString();
    }

    /** A YAML double-quoted scalar (a JSON string is one). */
    static String quoted(Path p) {
        StringBuilder sb = new StringBuilder();
        PythonJson.appendString(sb, absolute(p), false);
        return sb.toString();
    }

    /** Writes a demo's genome file. */
    static void write(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (IOException e) {
            throw EvomergeException.runtime("Cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
