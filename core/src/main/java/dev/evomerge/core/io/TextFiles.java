package dev.evomerge.core.io;

import dev.evomerge.core.EvomergeException;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads the text files a user hands evomerge (merge configs, genome and task YAML). Every failure is one usage
 * sentence naming the file: missing, unreadable, or not UTF-8 (with where the first bad byte is), never the JDK's
 * bare "Input length = 1".
 */
public final class TextFiles {

    private TextFiles() {
    }

    /**
     * The file's text, decoded as UTF-8.
     *
     * @param what what the file is, for messages ("Merge config", "Task file"); the sentence starts with it
     */
    public static String readUtf8(Path file, String what) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw EvomergeException.usage(what + " " + file + " does not exist.", e);
        } catch (IOException e) {
            throw EvomergeException.usage("Cannot read " + lower(what) + " " + file + ": " + Reasons.of(e) + ".", e);
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        var result = decoder.decode(in, out, true);
        if (result.isError()) {
            int at = in.position();
            int line = 1;
            for (int i = 0; i < at; i++) {
                if (bytes[i] == '\n') {
                    line++;
                }
            }
            throw EvomergeException.usage(what + " " + file + " is not UTF-8 text (byte " + at + " on line " + line
                    + " is 0x" + String.format("%02X", bytes[at] & 0xFF) + "); save it as UTF-8.");
        }
        decoder.flush(out);
        return out.flip().toString();
    }

    private static String lower(String what) {
        return what.isEmpty() ? what : Character.toLowerCase(what.charAt(0)) + what.substring(1);
    }
}
