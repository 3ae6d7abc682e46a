package dev.evomerge.core.safetensors;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.Reasons;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A parsed {@code model.safetensors.index.json}: which shard file holds each tensor. Shard names must stay inside
 * the model directory (no absolute paths, no {@code ..}); the index's own metadata (total_size) is not trusted.
 */
record ShardIndex(Path indexFile, Map<String, Path> shardOf) {

    /** The file name transformers and mergekit give the index of a sharded safetensors model. */
    static final String FILE_NAME = "model.safetensors.index.json";

    private static final ObjectReader JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build()
            .reader();

    private static final Pattern SEPARATORS = Pattern.compile("[/\\\\]");

    ShardIndex {
        shardOf = Collections.unmodifiableMap(new LinkedHashMap<>(shardOf));
    }

    /** Reads and validates the index file in {@code dir}. */
    static ShardIndex read(Path dir, Path indexFile) {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(indexFile));
        } catch (NoSuchFileException e) {
            throw EvomergeException.usage("Index file " + indexFile + " does not exist.", e);
        } catch (IOException e) {
            throw EvomergeException.usage("Index file " + indexFile + " is not valid JSON: "
                    + SafetensorsHeader.abbreviate(Reasons.of(e)) + ".", e);
        }
        if (root == null || !root.isObject()) {
            throw EvomergeException.usage("Index file " + indexFile + " is invalid: it is not a JSON object.");
        }
        JsonNode weightMap = root.get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw EvomergeException.usage("Index file " + indexFile + " is invalid: it has no 'weight_map' object.");
        }
        Path base = dir.toAbsolutePath().normalize();
        Map<String, Path> shardOf = new LinkedHashMap<>();
        Map<String, Path> resolved = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : weightMap.properties()) {
            String tensor = e.getKey();
            JsonNode value = e.getValue();
            if (!value.isTextual()) {
                throw EvomergeException.usage("Index file " + indexFile + " is invalid: weight_map entry for tensor '"
                        + tensor + "' is not a file name.");
            }
            String shard = value.textValue();
            Path file = resolved.get(shard);
            if (file == null) {
                file = resolveShard(base, indexFile, tensor, shard);
                resolved.put(shard, file);
            }
            shardOf.put(tensor, file);
        }
        return new ShardIndex(indexFile, shardOf);
    }

    /** Resolves a shard name against the model directory, refusing names that could point outside it. */
    private static Path resolveShard(Path base, Path indexFile, String tensor, String shard) {
        String why = null;
        if (shard.isEmpty()) {
            why = "is empty";
        } else if (shard.startsWith("/") || shard.startsWith("\\") || (shard.length() > 1 && shard.charAt(1) == ':')) {
            why = "is an absolute path";
        } else if (List.of(SEPARATORS.split(shard, -1)).contains("..")) {
            why = "contains '..'";
        }
        Path file = null;
        if (why == null) {
            try {
                file = base.resolve(shard).normalize();
                if (!file.startsWith(base) || file.equals(base)) {
                    why = "points outside the model directory";
                }
            } catch (InvalidPathException ex) {
                why = "is not a valid file name";
            }
        }
        if (why != null) {
            throw EvomergeException.usage("Index file " + indexFile + " is invalid: the shard name '"
                    + SafetensorsHeader.abbreviate(shard) + "' for tensor '" + SafetensorsHeader.abbreviate(tensor)
                    + "' " + why + ".");
        }
        return file;
    }
}
