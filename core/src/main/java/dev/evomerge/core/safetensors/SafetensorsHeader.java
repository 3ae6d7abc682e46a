package dev.evomerge.core.safetensors;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.Reasons;
import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;
import dev.evomerge.core.tensor.TensorInfo;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A parsed, validated safetensors header: the tensors in storage order with their byte ranges in the data area.
 * Validation follows the Rust reference reader: the tensors' byte ranges, sorted, must tile the data area exactly
 * (no gap, no overlap, no trailing bytes) and each range must be exactly shape x dtype size bytes.
 */
record SafetensorsHeader(Map<String, String> metadata, List<Entry> entries) {

    /** Largest header accepted, as in the Rust reference (larger ones are treated as corrupt). */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    /** Key reserved for the string-to-string metadata map. */
    static final String METADATA_KEY = "__metadata__";

    /** One tensor: its description and its [begin, end) byte range relative to the start of the data area. */
    record Entry(TensorInfo info, long begin, long end) {
    }

    // Immutable and thread-safe once built; strict so that duplicate keys and trailing garbage are errors, not
    // silently resolved (serde_json, the reference, rejects trailing garbage too).
    private static final ObjectReader JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build()
            .reader();

    SafetensorsHeader {
        metadata = Map.copyOf(metadata);
        entries = List.copyOf(entries);
    }

    /**
     * Parses and validates header JSON bytes of {@code file} whose data area (after the header) has
     * {@code dataLength} bytes.
     */
    static SafetensorsHeader parse(Path file, byte[] json, long dataLength) {
        JsonNode root = readJson(file, json);
        if (!root.isObject()) {
            throw bad(file, "its header is not a JSON object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : root.properties()) {
            String name = field.getKey();
            JsonNode node = field.getValue();
            if (name.equals(METADATA_KEY)) {
                readMetadata(file, node, metadata);
            } else {
                entries.add(readEntry(file, name, node, dataLength));
            }
        }
        // Storage order; ties (zero-size tensors at the same offset) keep header order because the sort is stable.
        entries.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        String previous = null;
        for (Entry e : entries) {
            if (e.begin() < expected) {
                throw bad(file, "tensor '" + e.info().name() + "' has data_offsets [" + e.begin() + ", " + e.end()
                        + "] overlapping tensor '" + previous + "' which ends at " + expected);
            }
            if (e.begin() > expected) {
                throw bad(file, "tensor '" + e.info().name() + "' starts at data offset " + e.begin()
                        + " leaving a gap after offset " + expected
                        + " (tensors must cover the data area contiguously)");
            }
            expected = e.end();
            previous = e.info().name();
        }
        if (expected != dataLength) {
            throw bad(file, "its tensors cover " + expected + " bytes of a " + dataLength
                    + "-byte data area (tensors must cover the data area exactly, with no trailing bytes)");
        }
        return new SafetensorsHeader(metadata, entries);
    }

    private static JsonNode readJson(Path file, byte[] json) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(json))
                    .toString();
        } catch (CharacterCodingException e) {
            throw bad(file, "its header is not valid UTF-8");
        }
        try {
            JsonNode root = JSON.readTree(text);
            if (root == null || root.isMissingNode()) {
                throw bad(file, "its header is empty");
            }
            return root;
        } catch (IOException e) {
            throw EvomergeException.usage("Safetensors file " + file + " has a malformed JSON header: "
                    + abbreviate(Reasons.of(e)) + ".", e);
        }
    }

    private static void readMetadata(Path file, JsonNode node, Map<String, String> out) {
        if (node.isNull()) {
            return;
        }
        if (!node.isObject()) {
            throw bad(file, "its __metadata__ is not a JSON object of strings");
        }
        for (Map.Entry<String, JsonNode> kv : node.properties()) {
            if (!kv.getValue().isTextual()) {
                throw bad(file, "its __metadata__ value for key '" + kv.getKey() + "' is not a string");
            }
            out.put(kv.getKey(), kv.getValue().textValue());
        }
    }

    private static Entry readEntry(Path file, String name, JsonNode node, long dataLength) {
        if (!node.isObject()) {
            throw badTensor(file, name, "is not a JSON object");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw badTensor(file, name, "has no string 'dtype'");
        }
        DType dtype = DType.fromSafetensors(dtypeNode.textValue());
        if (dtype == null) {
            throw badTensor(file, name, "has unsupported dtype '" + dtypeNode.textValue()
                    + "' (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
        }
        long[] dims = readNaturals(file, name, node.get("shape"), "shape", -1);
        long[] offsets = readNaturals(file, name, node.get("data_offsets"), "data_offsets", 2);
        long begin = offsets[0];
        long end = offsets[1];
        Shape shape = new Shape(dims);
        long bytes;
        try {
            bytes = Math.multiplyExact(shape.numel(), (long) dtype.byteSize());
        } catch (ArithmeticException e) {
            throw badTensor(file, name, "has shape " + shape + " whose byte size overflows 64 bits");
        }
        if (end < begin) {
            throw badTensor(file, name, "has data_offsets [" + begin + ", " + end + "] that end before they begin");
        }
        if (end > dataLength) {
            throw badTensor(file, name, "has data_offsets [" + begin + ", " + end
                    + "] outside the data area of " + dataLength + " bytes");
        }
        if (end - begin != bytes) {
            throw badTensor(file, name, "has shape " + shape + " x " + dtype + " = " + bytes
                    + " bytes but its data_offsets [" + begin + ", " + end + "] span " + (end - begin) + " bytes");
        }
        return new Entry(new TensorInfo(name, dtype, shape), begin, end);
    }

    /** A JSON array of non-negative 64-bit integers; {@code length} -1 means any length. */
    private static long[] readNaturals(Path file, String tensor, JsonNode node, String key, int length) {
        String expected = length < 0 ? "a list of non-negative integers" : "a list of " + length
                + " non-negative integers";
        if (node == null || !node.isArray() || (length >= 0 && node.size() != length)) {
            throw badTensor(file, tensor, "has '" + key + "' that is not " + expected);
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw badTensor(file, tensor, "has '" + key + "' that is not " + expected + " (element " + i
                        + " is " + abbreviate(v.toString()) + ")");
            }
            out[i] = v.longValue();
        }
        return out;
    }

    private static EvomergeException bad(Path file, String what) {
        return EvomergeException.usage("Safetensors file " + file + " is invalid: " + what + ".");
    }

    private static EvomergeException badTensor(Path file, String tensor, String what) {
        return EvomergeException.usage("Safetensors file " + file + " is invalid: tensor '" + abbreviate(tensor)
                + "' " + what + ".");
    }

    /** Keeps error messages one readable line even when a corrupt file has megabyte-long names. */
    static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }
}
