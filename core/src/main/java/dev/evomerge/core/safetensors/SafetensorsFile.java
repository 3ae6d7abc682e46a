package dev.evomerge.core.safetensors;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.HugePages;
import dev.evomerge.core.io.Reasons;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.core.tensor.TensorInfo;
import dev.evomerge.core.tensor.TensorSource;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * One memory-mapped .safetensors file. Tensors are zero-copy views into the mapping, valid until {@link #close()};
 * the mapping is shared, so any thread may read them. Files larger than 2 GB are fine.
 */
public final class SafetensorsFile implements TensorSource {

    private final Path path;
    private final Arena arena;
    private final MemorySegment dataArea;
    private final long dataStart;
    private final Map<String, String> metadata;
    private final List<String> names;
    private final Map<String, SafetensorsHeader.Entry> entries;

    private SafetensorsFile(Path path, Arena arena, MemorySegment mapping, long dataStart, SafetensorsHeader header) {
        this.path = path;
        this.arena = arena;
        this.dataArea = mapping.asSlice(dataStart);
        this.dataStart = dataStart;
        this.metadata = header.metadata();
        List<String> order = new ArrayList<>(header.entries().size());
        Map<String, SafetensorsHeader.Entry> byName = HashMap.newHashMap(header.entries().size());
        for (SafetensorsHeader.Entry e : header.entries()) {
            order.add(e.info().name());
            byName.put(e.info().name(), e);
        }
        this.names = Collections.unmodifiableList(order);
        this.entries = Collections.unmodifiableMap(byName);
    }

    /**
     * Opens and validates {@code file}; throws {@link EvomergeException} (usage) naming the file, and the tensor
     * where one is at fault, if it is missing, unreadable or not a well-formed safetensors file.
     */
    public static SafetensorsFile open(Path file) {
        if (Files.isDirectory(file)) {
            throw EvomergeException.usage("Safetensors file " + file + " is a directory, not a file.");
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < 8) {
                throw EvomergeException.usage("Safetensors file " + file + " is invalid: it has " + size
                        + " bytes, fewer than the 8-byte header length field.");
            }
            ByteBuffer lengthField = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(channel, lengthField, 0);
            long headerLength = lengthField.getLong(0);
            // A u64 above 2^63 reads as negative: it is far beyond the limit too.
            if (headerLength < 0 || headerLength > SafetensorsHeader.MAX_HEADER_BYTES) {
                throw EvomergeException.usage("Safetensors file " + file + " is invalid: its header length "
                        + Long.toUnsignedString(headerLength) + " exceeds the 100 MB limit.");
            }
            if (headerLength > size - 8) {
                throw EvomergeException.usage("Safetensors file " + file + " is invalid: its header length "
                        + headerLength + " runs past the end of the " + size + "-byte file.");
            }
            ByteBuffer json = ByteBuffer.allocate((int) headerLength);
            readFully(channel, json, 8);
            long dataStart = 8 + headerLength;
            SafetensorsHeader header = SafetensorsHeader.parse(file, json.array(), size - dataStart);
            Arena arena = Arena.ofShared();
            try {
                MemorySegment mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
                // pages read in from now on come in 2 MiB pages: a merge streams through them (HugePages)
                HugePages.adviseMapped(mapping);
                return new SafetensorsFile(file, arena, mapping, dataStart, header);
            } catch (IOException | RuntimeException e) {
                arena.close();
                throw e;
            }
        } catch (NoSuchFileException e) {
            throw EvomergeException.usage("Safetensors file " + file + " does not exist.", e);
        } catch (AccessDeniedException e) {
            throw EvomergeException.usage("Safetensors file " + file + " cannot be read: permission denied.", e);
        } catch (IOException e) {
            throw EvomergeException.usage("Safetensors file " + file + " cannot be read: " + Reasons.of(e), e);
        }
    }

    private static void readFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        long pos = position;
        while (buffer.hasRemaining()) {
            int n = channel.read(buffer, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }

    /** The file this was opened from. */
    public Path path() {
        return path;
    }

    /** The header's {@code __metadata__} string map (empty if absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    @Override
    public List<String> tensorNames() {
        return names;
    }

    @Override
    public Optional<TensorInfo> info(String name) {
        SafetensorsHeader.Entry e = entries.get(name);
        return e == null ? Optional.empty() : Optional.of(e.info());
    }

    /** Where the tensor's bytes start, counted from the beginning of the file. */
    public long fileOffset(String name) {
        return dataStart + entry(name).begin();
    }

    @Override
    public Tensor tensor(String name) {
        SafetensorsHeader.Entry e = entry(name);
        TensorInfo info = e.info();
        return new Tensor(info.dtype(), info.shape(), dataArea.asSlice(e.begin(), e.end() - e.begin()));
    }

    private SafetensorsHeader.Entry entry(String name) {
        SafetensorsHeader.Entry e = entries.get(name);
        if (e == null) {
            throw EvomergeException.usage("Tensor '" + name + "' is not in safetensors file " + path + ".");
        }
        return e;
    }

    @Override
    public String description() {
        return path.toString();
    }

    /** Unmaps the file; tensors obtained from it must not be used afterwards (access then fails, it never crashes). */
    @Override
    public void close() {
        if (arena.scope().isAlive()) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + names.size() + " tensors]";
    }
}
