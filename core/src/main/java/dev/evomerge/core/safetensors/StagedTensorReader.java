package dev.evomerge.core.safetensors;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.MappedPageAdvice;
import dev.evomerge.core.tensor.Tensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Reads the tensors of a safetensors model one at a time into one buffer that is reused for every tensor and every
 * model, for a consumer that copies each tensor somewhere else before asking for the next (a reload into resident
 * weights). Reading a freshly written model through a new memory mapping costs about twice the CPU time of the
 * consumer's copy on this project's virtual machines (measured on 1.5 GB of bf16 weights in /dev/shm packed into the
 * engine's panels: 0.9-1.1 GB/s per CPU-second through the mapping, with or without populating its pages first, 2.1
 * GB/s through a reused buffer, the read included; see docs/benchmarks.md): the pages of a reused buffer are mapped
 * once, while every new mapping maps the file's pages again. A tensor larger than the buffer may grow is handed
 * out as the model's own mapping, its pages populated in one call. Not thread-safe: the tensor handed out is valid
 * until the next call.
 */
public final class StagedTensorReader {

    /** The largest buffer kept (a tensor above this is read through the mapping instead). */
    public static final long MAX_BUFFER_BYTES = 256L << 20;

    private final long maxBufferBytes;
    private MemorySegment buffer;

    /** A reader with a buffer of up to {@link #MAX_BUFFER_BYTES}. */
    public StagedTensorReader() {
        this(MAX_BUFFER_BYTES);
    }

    /** A reader whose buffer grows to at most {@code maxBufferBytes}. */
    public StagedTensorReader(long maxBufferBytes) {
        this.maxBufferBytes = maxBufferBytes;
    }

    /**
     * Opens a reader of {@code model}'s tensors; close it (it closes the files it opened, not the model).
     */
    public Session open(SafetensorsModel model) {
        return new Session(model);
    }

    /** The tensors of one model; the files stay open until it is closed. */
    public final class Session implements AutoCloseable {

        private final SafetensorsModel model;
        private final Map<Path, FileChannel> channels = new HashMap<>();

        private Session(SafetensorsModel model) {
            this.model = model;
        }

        /**
         * The tensor {@code name}, in the reader's buffer (valid until the next call), or, when it is larger than
         * the reader's largest buffer, in the model's mapping with its pages populated.
         *
         * @throws EvomergeException naming the file when it cannot be read
         */
        public Tensor tensor(String name) {
            Tensor mapped = model.tensor(name);
            long size = mapped.data().byteSize();
            if (size > maxBufferBytes) {
                MappedPageAdvice.populate(mapped.data());
                return mapped;
            }
            if (buffer == null || buffer.byteSize() < size) {
                // an automatic arena's memory may be read by any thread: the consumer may copy it on several
                buffer = Arena.ofAuto().allocate(Math.max(size, 1), 64);
            }
            SafetensorsFile file = model.fileOf(name).orElseThrow();
            MemorySegment target = buffer.asSlice(0, size);
            try {
                FileChannel ch = channels.get(file.path());
                if (ch == null) {
                    ch = FileChannel.open(file.path());
                    channels.put(file.path(), ch);
                }
                ByteBuffer bytes = target.asByteBuffer();
                long position = file.fileOffset(name);
                while (bytes.hasRemaining()) {
                    int n = ch.read(bytes, position);
                    if (n < 0) {
                        throw new IOException("the file ends before tensor '" + name + "' does");
                    }
                    position += n;
                }
            } catch (IOException e) {
                throw EvomergeException.runtime("Cannot read tensor '" + name + "' of " + file.path() + ": "
                        + e.getMessage(), e);
            }
            return new Tensor(mapped.dtype(), mapped.shape(), target);
        }

        @Override
        public void close() {
            for (FileChannel ch : channels.values()) {
                try {
                    ch.close();
                } catch (IOException ignored) {
                    // read-only: nothing to lose
                }
            }
            channels.clear();
        }
    }
}
