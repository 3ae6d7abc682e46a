package dev.evomerge.core.io;

import dev.evomerge.core.EvomergeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TextFilesTest {

    @TempDir
    Path tmp;

    @Test
    void readsUtf8Text() throws IOException {
        Path f = Files.writeString(tmp.resolve("ok.yml"), "name: Zoë – ok\n", StandardCharsets.UTF_8);
        assertThat(TextFiles.readUtf8(f, "Merge config")).isEqualTo("name: Zoë – ok\n");
    }

    @Test
    void latin1TextIsOneSentenceNamingTheFileAndTheByte() throws IOException {
        // "é" in Latin-1 is the lone byte 0xE9, which is no UTF-8 sequence (the JDK says "Input length = 1")
        Path f = Files.write(tmp.resolve("latin1.yml"), "a: 1\nname: caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> TextFiles.readUtf8(f, "Merge config"))
                .isInstanceOfSatisfying(EvomergeException.class,
                        e -> assertThat(e.kind()).isEqualTo(EvomergeException.Kind.USAGE))
                .hasMessage("Merge config " + f + " is not UTF-8 text (byte 14 on line 2 is 0xE9); save it as UTF-8.");
    }

    @Test
    void aMissingFileIsNamed() {
        Path f = tmp.resolve("nope.yml");
        assertThatThrownBy(() -> TextFiles.readUtf8(f, "Task file")).isInstanceOf(EvomergeException.class)
                .hasMessage("Task file " + f + " does not exist.");
        assertThatThrownBy(() -> TextFiles.readUtf8(tmp, "Task file")).isInstanceOf(EvomergeException.class)
                .hasMessageStartingWith("Cannot read task file " + tmp + ": ");
    }
}
