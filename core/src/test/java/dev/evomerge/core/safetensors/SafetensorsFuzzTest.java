package dev.evomerge.core.safetensors;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.core.tensor.TensorInfo;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * Corrupt files must never crash the reader: every outcome is either a file that opens with self-consistent tensors
 * or an {@link EvomergeException}. Seeded, so any failure reproduces.
 */
class SafetensorsFuzzTest {

    private static final long SEED = 0x5AFE_7E45L;
    private static final int MUTATIONS = 4000;

    @TempDir
    Path tmp;

    private byte[] valid;
    private int headerLength;

    @BeforeEach
    void writeValidFile() throws Exception {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        Tensor w = Tensor.allocate(DType.F32, Shape.of(2, 3));
        Tensor b = Tensor.allocate(DType.BF16, Shape.of(3));
        Tensor i = Tensor.allocate(DType.I64, Shape.of(2));
        for (int k = 0; k < 6; k++) {
            w.setDouble(k, k - 2.5);
        }
        for (int k = 0; k < 3; k++) {
            b.setDouble(k, k * 0.5);
        }
        i.setDouble(0, -1);
        i.setDouble(1, 1L << 40);
        tensors.put("model.w", w);
        tensors.put("model.b", b);
        tensors.put("ids", i);
        Path f = tmp.resolve("valid.safetensors");
        SafetensorsWriter.writeFile(f, tensors, Map.of("format", "pt", "note", "fuzz"));
        valid = Files.readAllBytes(f);
        headerLength = (int) ByteBuffer.wrap(valid, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            assertThat(sf.tensorNames()).containsExactly("model.w", "model.b", "ids");
        }
    }

    @Test
    void everyTruncationIsAUsageError() {
        int accepted = 0;
        for (int len = 0; len < valid.length; len++) {
            if (outcome(Arrays.copyOf(valid, len), "truncated to " + len)) {
                accepted++;
            }
        }
        // Tensors must cover the data area up to the end of the file, so no shorter prefix is a valid file.
        assertThat(accepted).isZero();
    }

    @Test
    void randomCorruptionsOpenConsistentlyOrFailWithUsageErrors() {
        SplittableRandom rnd = new SplittableRandom(SEED);
        int accepted = 0;
        int rejected = 0;
        for (int n = 0; n < MUTATIONS; n++) {
            byte[] mutated;
            String what;
            switch (rnd.nextInt(5)) {
                case 0 -> {
                    mutated = valid.clone();
                    int pos = rnd.nextInt(mutated.length);
                    int bit = rnd.nextInt(8);
                    mutated[pos] ^= (byte) (1 << bit);
                    what = "bit " + bit + " flipped at " + pos;
                }
                case 1 -> {
                    mutated = valid.clone();
                    int pos = 8 + rnd.nextInt(headerLength);
                    mutated[pos] = (byte) rnd.nextInt(256);
                    what = "header byte " + pos + " set";
                }
                case 2 -> {
                    mutated = valid.clone();
                    long len = switch (rnd.nextInt(4)) {
                        case 0 -> rnd.nextLong();
                        case 1 -> rnd.nextInt(valid.length + 16);
                        case 2 -> headerLength + rnd.nextInt(-8, 9);
                        default -> 1L << rnd.nextInt(64);
                    };
                    System.arraycopy(RawSafetensors.le64(len), 0, mutated, 0, 8);
                    what = "length field " + len;
                }
                default -> {
                    String header = new String(valid, 8, headerLength, StandardCharsets.UTF_8);
                    String edited = editHeader(header, rnd);
                    byte[] data = Arrays.copyOfRange(valid, 8 + headerLength, valid.length);
                    if (rnd.nextInt(4) == 0) {
                        data = Arrays.copyOf(data, Math.max(0, data.length + rnd.nextInt(-9, 10)));
                    }
                    mutated = RawSafetensors.bytes(edited, data);
                    what = "header edited to " + edited + " with " + data.length + " data bytes";
                }
            }
            if (outcome(mutated, what)) {
                accepted++;
            } else {
                rejected++;
            }
        }
        // Both outcomes must really occur, or the mutations would not be testing anything.
        assertThat(accepted).isGreaterThan(100);
        assertThat(rejected).isGreaterThan(1000);
    }

    private static final String[] TOKENS = {"{", "}", "[", "]", "\"", ",", ":", "0", "1", "9", "-", ".", "e",
            " ", "null", "\"BF16\"", "\"F64\"", "\"U8\"", "\"X\"", "99999999999999999999", "4611686018427387904",
            "\"__metadata__\"", "\\", "\u00e9"};

    private static String editHeader(String header, SplittableRandom rnd) {
        StringBuilder sb = new StringBuilder(header);
        int edits = 1 + rnd.nextInt(3);
        for (int e = 0; e < edits; e++) {
            int pos = rnd.nextInt(sb.length() + 1);
            switch (rnd.nextInt(5)) {
                case 0 -> {
                    if (pos < sb.length()) {
                        sb.deleteCharAt(pos);
                    }
                }
                case 1 -> sb.insert(pos, TOKENS[rnd.nextInt(TOKENS.length)]);
                case 2 -> {
                    // Replace a digit with another digit: offsets and shapes change but stay well-formed JSON.
                    int digit = indexOfDigit(sb, pos);
                    if (digit >= 0) {
                        sb.setCharAt(digit, (char) ('0' + rnd.nextInt(10)));
                    }
                }
                case 3 -> {
                    for (String dtype : new String[] {"F32", "BF16", "I64"}) {
                        int at = sb.indexOf("\"" + dtype + "\"");
                        if (at >= 0 && rnd.nextBoolean()) {
                            String[] all = {"F64", "F32", "F16", "BF16", "I64", "I32", "I16", "I8", "U8", "BOOL"};
                            sb.replace(at + 1, at + 1 + dtype.length(), all[rnd.nextInt(all.length)]);
                            break;
                        }
                    }
                }
                default -> {
                    int end = Math.min(sb.length(), pos + rnd.nextInt(1, 24));
                    String chunk = sb.substring(pos, end);
                    sb.insert(rnd.nextInt(sb.length() + 1), chunk);
                }
            }
        }
        return sb.toString();
    }

    private static int indexOfDigit(StringBuilder sb, int from) {
        for (int k = 0; k < sb.length(); k++) {
            int p = (from + k) % sb.length();
            if (Character.isDigit(sb.charAt(p))) {
                return p;
            }
        }
        return -1;
    }

    /** Returns true if the file opened (after checking it is self-consistent), false on a usage error. */
    private boolean outcome(byte[] content, String what) {
        Path f = RawSafetensors.write(tmp.resolve("fuzz.safetensors"), content);
        try (SafetensorsFile sf = SafetensorsFile.open(f)) {
            checkConsistent(sf, content, what);
            return true;
        } catch (EvomergeException e) {
            assertThat(e.kind()).as(what).isEqualTo(EvomergeException.Kind.USAGE);
            assertThat(e.getMessage()).as(what).contains(f.toString());
            return false;
        } catch (Throwable t) {
            return fail("Unexpected " + t + " for a file with " + what, t);
        }
    }

    private static void checkConsistent(SafetensorsFile sf, byte[] content, String what) {
        long fileLength = content.length;
        long covered = 0;
        long previousEnd = -1;
        for (String name : sf.tensorNames()) {
            TensorInfo info = sf.info(name).orElseThrow();
            Tensor t = sf.tensor(name);
            long bytes = info.byteSize();
            assertThat(t.byteSize()).as(what).isEqualTo(bytes);
            assertThat(t.shape()).as(what).isEqualTo(info.shape());
            long start = sf.fileOffset(name);
            if (previousEnd >= 0) {
                assertThat(start).as(what + ": contiguous storage order").isEqualTo(previousEnd);
            }
            previousEnd = start + bytes;
            assertThat(previousEnd).as(what).isLessThanOrEqualTo(fileLength);
            covered += bytes;
            // The view shows exactly the file's bytes at the tensor's offset, and every element decodes.
            assertThat(t.data().toArray(ValueLayout.JAVA_BYTE)).as(what)
                    .isEqualTo(Arrays.copyOfRange(content, (int) start, (int) (start + bytes)));
            for (long k = 0; k < t.numel(); k++) {
                t.getDouble(k);
            }
        }
        if (previousEnd >= 0) {
            assertThat(previousEnd).as(what + ": data ends at end of file").isEqualTo(fileLength);
        }
        assertThat(covered).as(what).isLessThanOrEqualTo(fileLength);
    }
}
