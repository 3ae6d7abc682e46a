package dev.evomerge.core.synth;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** The small built-in English text the synthetic tokenizers learn their merges from. */
public final class SynthCorpus {

    private static final String RESOURCE = "corpus.txt";

    private SynthCorpus() {
    }

    /** The corpus text (UTF-8 resource, a few kilobytes of plain sentences). */
    public static String text() {
        try (InputStream in = SynthCorpus.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + RESOURCE);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
