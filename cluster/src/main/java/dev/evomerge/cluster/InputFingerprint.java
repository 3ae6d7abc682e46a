package dev.evomerge.cluster;

import java.io.IOException;
import dev.evomerge.core.io.Reasons;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * A short hash of what a worker must see identically to the coordinator: for a model directory its config.json and
 * every safetensors header (not the weights, which would take minutes to hash); for anything else the full content.
 */
public final class InputFingerprint {

    private InputFingerprint() {
    }

    /** The fingerprint, or "missing" when the path does not exist. */
    public static String of(Path p) {
        try {
            if (!Files.exists(p)) {
                return "missing";
            }
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            if (Files.isDirectory(p) && Files.isRegularFile(p.resolve("config.json"))) {
                md.update(Files.readAllBytes(p.resolve("config.json")));
                for (Path f : sorted(p, 1)) {
                    if (f.getFileName().toString().endsWith(".safetensors")) {
                        md.update(f.getFileName().toString().getBytes());
                        md.update(header(f));
                    }
                }
            } else if (Files.isDirectory(p)) {
                for (Path f : sorted(p, Integer.MAX_VALUE)) {
                    if (Files.isRegularFile(f)) {
                        md.update(p.relativize(f).toString().getBytes());
                        digestFile(md, f);
                    }
                }
            } else {
                digestFile(md, p);
            }
            return HexFormat.of().formatHex(md.digest(), 0, 12);
        } catch (IOException e) {
            return "unreadable (" + Reasons.of(e) + ")";
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is always available", e);
        }
    }

    private static List<Path> sorted(Path dir, int depth) throws IOException {
        try (Stream<Path> s = Files.walk(dir, depth)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }

    private static byte[] header(Path f) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            if (ch.read(len, 0) < 8) {
                return new byte[0];
            }
            long n = len.flip().getLong();
            if (n < 0 || n > 100_000_000 || n > ch.size() - 8) {
                return new byte[0];
            }
            ByteBuffer h = ByteBuffer.allocate((int) n);
            ch.read(h, 8);
            return h.array();
        }
    }

    private static void digestFile(MessageDigest md, Path f) throws IOException {
        try (InputStream in = Files.newInputStream(f)) {
            byte[] buf = new byte[1 << 16];
            for (int r; (r = in.read(buf)) > 0; ) {
                md.update(buf, 0, r);
            }
        }
    }
}
