package dev.evomerge.core.safetensors;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.tensor.TensorInfo;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where every planned tensor goes: which shard file, at which byte offset. Computed entirely from the plan, before
 * any data exists, so the writer can create each file at its final size and fill tensors in any order.
 */
record ShardLayout(List<Shard> shards, long totalTensorBytes) {

    /** One output file: its final name, its tensors in plan order, the header prefix and the total file size. */
    record Shard(String fileName, List<TensorInfo> tensors, byte[] prefix, long fileSize) {

        /** Offset of the data area from the start of the file (8-byte length field + padded JSON header). */
        long dataStart() {
            return prefix.length;
        }
    }

    ShardLayout {
        shards = List.copyOf(shards);
    }

    /**
     * Splits {@code plan} into shards with mergekit's TensorWriter rule: walking the plan in order, a tensor opens a
     * new shard when the current shard is non-empty and adding it would exceed {@code maxShardBytes}
     * ({@code <= 0}: no limit). A tensor larger than the limit therefore sits alone in its own shard.
     */
    static List<List<TensorInfo>> assign(List<TensorInfo> plan, long maxShardBytes) {
        List<List<TensorInfo>> out = new ArrayList<>();
        List<TensorInfo> current = new ArrayList<>();
        long currentBytes = 0;
        for (TensorInfo t : plan) {
            long bytes = t.byteSize();
            if (maxShardBytes > 0 && !current.isEmpty() && currentBytes + bytes > maxShardBytes) {
                out.add(current);
                current = new ArrayList<>();
                currentBytes = 0;
            }
            current.add(t);
            currentBytes += bytes;
        }
        // mergekit always writes at least one shard, even for an empty plan.
        out.add(current);
        return out;
    }

    /** The layout for {@code plan}, with the transformers file names ({@code model.safetensors} or numbered). */
    static ShardLayout of(List<TensorInfo> plan, long maxShardBytes, Map<String, String> metadata) {
        List<List<TensorInfo>> groups = assign(plan, maxShardBytes);
        List<Shard> shards = new ArrayList<>(groups.size());
        long total = 0;
        for (int i = 0; i < groups.size(); i++) {
            String name = groups.size() == 1 ? SafetensorsModel.SINGLE_FILE_NAME : shardFileName(i, groups.size());
            Shard s = shard(name, groups.get(i), metadata);
            shards.add(s);
            total += s.fileSize() - s.dataStart();
        }
        return new ShardLayout(shards, total);
    }

    /** The transformers/mergekit name of shard {@code index} (0-based) of {@code count}. */
    static String shardFileName(int index, int count) {
        return String.format("model-%05d-of-%05d.safetensors", index + 1, count);
    }

    /** A shard with the given tensors contiguous in order and its header prefix. */
    static Shard shard(String fileName, List<TensorInfo> tensors, Map<String, String> metadata) {
        StringBuilder json = new StringBuilder(64 + 96 * tensors.size());
        json.append('{');
        boolean first = true;
        if (!metadata.isEmpty()) {
            JsonText.appendHeaderString(json, SafetensorsHeader.METADATA_KEY);
            json.append(":{");
            boolean firstKey = true;
            for (Map.Entry<String, String> kv : metadata.entrySet()) {
                if (!firstKey) {
                    json.append(',');
                }
                firstKey = false;
                JsonText.appendHeaderString(json, kv.getKey());
                json.append(':');
                JsonText.appendHeaderString(json, kv.getValue());
            }
            json.append('}');
            first = false;
        }
        long offset = 0;
        for (TensorInfo t : tensors) {
            if (t.name().equals(SafetensorsHeader.METADATA_KEY)) {
                throw EvomergeException.usage("Tensor name '" + SafetensorsHeader.METADATA_KEY
                        + "' is reserved by the safetensors format and cannot be written.");
            }
            if (!first) {
                json.append(',');
            }
            first = false;
            long end = Math.addExact(offset, t.byteSize());
            JsonText.appendHeaderString(json, t.name());
            json.append(":{\"dtype\":\"").append(t.dtype().safetensorsName()).append("\",\"shape\":[");
            long[] dims = t.shape().dims();
            for (int d = 0; d < dims.length; d++) {
                if (d > 0) {
                    json.append(',');
                }
                json.append(dims[d]);
            }
            json.append("],\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
        }
        json.append('}');
        byte[] jsonBytes = json.toString().getBytes(StandardCharsets.UTF_8);
        // Pad with spaces so the data area starts 8-byte aligned, as the reference writer does.
        int padded = (jsonBytes.length + 7) & ~7;
        if (padded > SafetensorsHeader.MAX_HEADER_BYTES) {
            throw EvomergeException.usage("Output shard " + fileName + " would have a " + padded
                    + "-byte header, above the 100 MB safetensors readers accept; reduce the number of tensors.");
        }
        ByteBuffer prefix = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        prefix.putLong(padded).put(jsonBytes);
        while (prefix.hasRemaining()) {
            prefix.put((byte) ' ');
        }
        return new Shard(fileName, List.copyOf(tensors), prefix.array(), Math.addExact(8L + padded, offset));
    }
}
