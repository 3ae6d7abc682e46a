package dev.evomerge.evolve.pool;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.Reasons;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * Puts a merged candidate where a server that reloads only its served directory (vLLM) reads it: the weight files
 * there are replaced by the candidate's (moved, or copied where the folders are on different file systems); the
 * tokenizer and config stay, as every candidate has the served model's architecture.
 */
final class CandidatePlacement {

    private CandidatePlacement() {
    }

    /** Moves the candidate's weights into {@code served} and returns it. */
    static Path moveInto(Path merged, Path served) {
        try {
            try (Stream<Path> old = Files.list(served)) {
                for (Path p : old.filter(CandidatePlacement::isWeights).toList()) {
                    Files.delete(p);
                }
            }
            List<Path> files;
            try (Stream<Path> s = Files.list(merged)) {
                files = s.filter(CandidatePlacement::isWeights).toList();
            }
            for (Path f : files) {
                Files.move(f, served.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
            return served;
        } catch (IOException e) {
            throw EvomergeException.runtime("Cannot put the candidate's weights into the served directory " + served
                    + ": " + Reasons.of(e) + ".", e);
        }
    }

    /** Safetensors shards and their index. */
    private static boolean isWeights(Path p) {
        String n = p.getFileName().toString();
        return n.endsWith(".safetensors") || n.equals("model.safetensors.index.json");
    }
}
