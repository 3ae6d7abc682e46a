package dev.evomerge.core.safetensors;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.tensor.Kernels;
import dev.evomerge.core.tensor.Tensor;
import dev.evomerge.core.tensor.TensorInfo;
import dev.evomerge.core.tensor.TensorSink;

import dev.evomerge.core.tensor.DType;
import dev.evomerge.core.tensor.Shape;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Writes a planned set of tensors as safetensors shards, the way mergekit names and splits them. Every file is
 * created at its final size up front, and {@link #accept} writes each tensor into its slot with positional writes
 * (from any thread, in any order), converting in pieces of a few MiB when the dtype differs. Nothing of the output
 * stays in the process's memory: written data lives in the page cache, and every {@value #FLUSH_BYTES} bytes a
 * background flush starts writing it to disk while the merge goes on, so {@link #commit()} has little left to wait
 * for. Files are written under hidden
 * {@code .NAME.partial} names and renamed by {@link #commit()}; {@link #close()} before commit deletes them.
 *
 * <p>Output: {@code model.safetensors} for one shard, else {@code model-00001-of-0000N.safetensors} and
 * {@code model.safetensors.index.json} ({@code {"metadata": {"total_size": bytes}, "weight_map": {...}}}, written
 * as Python's {@code json.dumps(indent=2, sort_keys=True)} plus a newline, like transformers). Each header holds
 * {@code __metadata__ {"format":"pt"}} then the tensors in plan order, padded with spaces to a multiple of 8.
 */
public final class SafetensorsWriter implements TensorSink {

    /** The header metadata mergekit and transformers write. */
    public static final Map<String, String> DEFAULT_METADATA = Map.of("format", "pt");

    /** Bytes written between background flushes (64 MiB). */
    static final long FLUSH_BYTES = 64L << 20;
    /** Most bytes of output buffers kept for reuse between tensors (see {@link #target}). */
    static final long IDLE_BUFFER_BYTES = 256L << 20;
    /** Largest piece handed to one write call, and the conversion buffer's size. */
    private static final int PIECE_BYTES = 4 << 20;

    private static final int EMPTY = 0;
    private static final int WRITING = 1;
    private static final int DONE = 2;

    private final Path dir;
    private final List<TensorInfo> plan;
    private final List<OutputFile> outputs;
    private final Map<String, Slot> slots;
    private final AtomicIntegerArray state;
    private final Map<String, Buffer> lent = new ConcurrentHashMap<>();
    /**
     * Idle output buffers by byte size, shared by every writer of the process (guarded by itself, as is idleBytes):
     * the next candidate's merge of a model of the same shapes reuses them instead of mapping, faulting in and
     * zero-filling fresh memory (about 200 MB for a 760M-parameter model, whose embeddings need their own buffers).
     * At most {@value #IDLE_BUFFER_BYTES} bytes are kept, for as long as the process runs.
     */
    private static final Map<Long, Deque<Buffer>> idle = new HashMap<>();
    private static long idleBytes;
    private final String indexJson;
    private final Object lifecycle = new Object();
    private final AtomicLong unflushed = new AtomicLong();
    private final AtomicBoolean flushing = new AtomicBoolean();
    private volatile Thread flusher;
    private volatile boolean finished;
    private boolean committed;

    /** One planned tensor: its position in the plan, its shard and its byte offset there. */
    private record Slot(int index, TensorInfo info, OutputFile file, long offset) {
    }

    /** An output buffer lent by {@link #target}, in its own arena so that it can be freed alone. */
    private record Buffer(Arena arena, MemorySegment memory) {
    }

    /** One output shard while it is being written. */
    private static final class OutputFile {
        final Path partial;
        final Path target;
        FileChannel channel;
        boolean createdPartial;
        boolean createdTarget;

        OutputFile(Path partial, Path target) {
            this.partial = partial;
            this.target = target;
        }
    }

    private SafetensorsWriter(Path dir, List<TensorInfo> plan, List<ShardLayout.Shard> shards, String indexJson) {
        this.dir = dir;
        this.plan = List.copyOf(plan);
        this.indexJson = indexJson;
        this.outputs = new ArrayList<>(shards.size());
        this.slots = HashMap.newHashMap(plan.size());
        this.state = new AtomicIntegerArray(plan.size());
        Map<String, Integer> planIndex = HashMap.newHashMap(plan.size());
        for (int i = 0; i < plan.size(); i++) {
            planIndex.put(plan.get(i).name(), i);
        }
        try {
            for (ShardLayout.Shard s : shards) {
                OutputFile out = new OutputFile(dir.resolve("." + s.fileName() + ".partial"),
                        dir.resolve(s.fileName()));
                outputs.add(out);
                createSized(out, s);
                long offset = s.dataStart();
                for (TensorInfo t : s.tensors()) {
                    slots.put(t.name(), new Slot(planIndex.get(t.name()), t, out, offset));
                    offset += t.byteSize();
                }
            }
        } catch (RuntimeException e) {
            discard(e);
            throw e;
        }
    }

    /**
     * Prepares the shards of {@code plan} (names, dtypes and shapes in execution order) in {@code dir}, created if
     * missing. {@code maxShardBytes <= 0} means a single shard. Refuses names used twice and existing output files.
     */
    public static SafetensorsWriter create(Path dir, List<TensorInfo> plan, long maxShardBytes) {
        checkDistinct(dir, plan);
        ShardLayout layout = ShardLayout.of(plan, maxShardBytes, DEFAULT_METADATA);
        String index = layout.shards().size() > 1 ? indexJson(layout) : null;
        prepareDirectory(dir, layout.shards().stream().mapToLong(ShardLayout.Shard::fileSize).sum());
        return new SafetensorsWriter(dir, plan, layout.shards(), index);
    }

    /**
     * Writes {@code tensors} (in map iteration order) as one safetensors file at {@code file}, with
     * {@code __metadata__ {"format":"pt"}}. Meant for tests, fixtures and small outputs.
     */
    public static void writeFile(Path file, Map<String, Tensor> tensors) {
        writeFile(file, tensors, DEFAULT_METADATA);
    }

    /** Writes {@code tensors} (in map iteration order) as one safetensors file with the given header metadata. */
    public static void writeFile(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) {
        List<TensorInfo> plan = new ArrayList<>(tensors.size());
        tensors.forEach((name, t) -> plan.add(new TensorInfo(name, t.dtype(), t.shape())));
        Path dir = file.toAbsolutePath().getParent();
        checkDistinct(dir, plan);
        ShardLayout.Shard shard = ShardLayout.shard(file.getFileName().toString(), plan, new LinkedHashMap<>(metadata));
        prepareDirectory(dir, shard.fileSize());
        try (SafetensorsWriter w = new SafetensorsWriter(dir, plan, List.of(shard), null)) {
            tensors.forEach(w::accept);
            w.commit();
        }
    }

    private static void checkDistinct(Path dir, List<TensorInfo> plan) {
        Map<String, Boolean> seen = HashMap.newHashMap(plan.size());
        for (TensorInfo t : plan) {
            if (seen.put(t.name(), Boolean.TRUE) != null) {
                throw EvomergeException.usage("Tensor '" + t.name() + "' appears twice in the output plan for "
                        + dir + ".");
            }
        }
    }

    private static void prepareDirectory(Path dir, long totalBytes) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw EvomergeException.usage("Output directory " + dir + " cannot be created: " + e.getMessage(), e);
        }
        long usable;
        try {
            usable = Files.getFileStore(dir).getUsableSpace();
        } catch (IOException e) {
            usable = Long.MAX_VALUE; // unknown: let the write itself report a full disk
        }
        // Checked up front so that a model that cannot fit fails before any merging work, not at its last tensor.
        if (usable < totalBytes) {
            throw EvomergeException.runtime("Output directory " + dir + " has " + usable
                    + " bytes free but the model needs " + totalBytes + ".", null);
        }
    }

    private void createSized(OutputFile out, ShardLayout.Shard s) {
        if (Files.exists(out.target)) {
            throw EvomergeException.usage("Output file " + out.target + " already exists; refusing to overwrite it.");
        }
        try {
            out.channel = FileChannel.open(out.partial, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
                    StandardOpenOption.WRITE);
            out.createdPartial = true;
            writeFully(out.channel, ByteBuffer.wrap(s.prefix()), 0);
            if (s.fileSize() > s.prefix().length) {
                // One byte at the end gives the file its final size (sparse until the tensors arrive).
                writeFully(out.channel, ByteBuffer.allocate(1), s.fileSize() - 1);
            }
        } catch (FileAlreadyExistsException e) {
            throw EvomergeException.usage("Temporary file " + out.partial
                    + " already exists (another write in progress, or left by a killed one); remove it and retry.", e);
        } catch (IOException e) {
            throw EvomergeException.runtime("Cannot create output file " + out.partial + ": " + e.getMessage(), e);
        }
    }

    /** The final paths of the shard files, in order (they exist only after {@link #commit()}). */
    public List<Path> files() {
        return outputs.stream().map(o -> o.target).toList();
    }

    /** The output plan, in order. */
    public List<TensorInfo> plan() {
        return plan;
    }

    /**
     * An output buffer for the tensor, for a producer that writes every element into it and then passes it to
     * {@link #accept}. Buffers are reused by later tensors of the same byte size, of this writer or a later one (up to
     * {@value #IDLE_BUFFER_BYTES} bytes of them kept idle), so a merge does not map, fault in and zero fresh memory
     * for every output tensor.
     */
    @Override
    public Tensor target(String name) {
        Slot slot = slots.get(name);
        if (slot == null || finished || state.get(slot.index()) != EMPTY) {
            return null;
        }
        long bytes = slot.info().byteSize();
        Buffer b;
        synchronized (idle) {
            Deque<Buffer> free = idle.get(bytes);
            b = free == null ? null : free.pollFirst();
            if (b != null) {
                idleBytes -= bytes;
            }
        }
        if (b == null) {
            // a new buffer, zero-filled by the arena; its contents are the producer's to overwrite
            Arena arena = Arena.ofShared();
            b = new Buffer(arena, arena.allocate(Math.max(1, bytes), 64).asSlice(0, bytes));
        }
        Buffer previous = lent.put(name, b);
        if (previous != null) {
            recycle(previous);
        }
        return new Tensor(slot.info().dtype(), slot.info().shape(), b.memory());
    }

    /** Keeps a buffer for reuse while the idle ones stay under the limit and the writer is open; frees it else. */
    private void recycle(Buffer b) {
        long bytes = b.memory().byteSize();
        synchronized (idle) {
            if (!finished && idleBytes + bytes <= IDLE_BUFFER_BYTES) {
                idleBytes += bytes;
                idle.computeIfAbsent(bytes, k -> new ArrayDeque<>()).addFirst(b);
                return;
            }
        }
        free(b);
    }

    private static void free(Buffer b) {
        try {
            b.arena().close();
        } catch (IllegalStateException e) {
            // still in use by a producer that failed on another thread: freed when the process ends
        }
    }

    /**
     * Frees the buffers still lent (when the writer commits or closes: a producer that failed may still hold one).
     * Idle buffers stay for the next writer.
     */
    private void freeBuffers() {
        lent.values().forEach(SafetensorsWriter::free);
        lent.clear();
    }

    /**
     * Copies {@code tensor} into its planned slot, converting to the planned dtype if needed. Safe to call from
     * several threads at once for distinct names; a name outside the plan, a shape different from the plan, or a
     * second write of the same name is a usage error naming the tensor.
     */
    @Override
    public void accept(String name, Tensor tensor) {
        Slot slot = slots.get(name);
        if (slot == null) {
            throw EvomergeException.usage("Tensor '" + name + "' is not in the output plan for " + dir + ".");
        }
        if (!tensor.shape().equals(slot.info().shape())) {
            throw EvomergeException.usage("Tensor '" + name + "' has shape " + tensor.shape()
                    + " but the output plan for " + dir + " expects " + slot.info().shape() + ".");
        }
        if (finished) {
            throw new IllegalStateException("the writer for " + dir + " is already committed or closed");
        }
        if (!state.compareAndSet(slot.index(), EMPTY, WRITING)) {
            throw EvomergeException.usage("Tensor '" + name + "' was written twice to " + dir + ".");
        }
        boolean ok = false;
        try {
            Buffer lentBuffer = lent.remove(name);
            try {
                write(slot, tensor);
            } finally {
                if (lentBuffer != null) {
                    recycle(lentBuffer);
                }
            }
            ok = true;
        } catch (IOException e) {
            throw EvomergeException.runtime("Cannot write tensor '" + name + "' to " + slot.file().partial + ": "
                    + e.getMessage(), e);
        } finally {
            state.set(slot.index(), ok ? DONE : EMPTY);
        }
    }

    /**
     * Writes the tensor's bytes at its slot: straight from its memory when it is off-heap in the planned dtype, else
     * converted piece by piece through a small off-heap buffer (a heap buffer would make the JDK keep a temporary
     * direct copy of the whole write per thread).
     */
    private void write(Slot slot, Tensor tensor) throws IOException {
        DType dtype = slot.info().dtype();
        FileChannel ch = slot.file().channel;
        long bytes = slot.info().byteSize();
        MemorySegment data = tensor.data();
        if (tensor.dtype() == dtype && data.isNative()) {
            for (long off = 0; off < bytes; off += PIECE_BYTES) {
                int len = (int) Math.min(PIECE_BYTES, bytes - off);
                writeFully(ch, data.asSlice(off, len).asByteBuffer(), slot.offset() + off);
                flushed(len);
            }
            return;
        }
        long n = tensor.numel();
        long perPiece = Math.max(1, PIECE_BYTES / dtype.byteSize());
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(Math.min(bytes, perPiece * dtype.byteSize()), 64);
            long inSize = tensor.dtype().byteSize();
            for (long from = 0; from < n; from += perPiece) {
                long len = Math.min(perPiece, n - from);
                MemorySegment piece = buf.asSlice(0, len * dtype.byteSize());
                Kernels.convert(new Tensor(tensor.dtype(), Shape.of(len), data.asSlice(from * inSize, len * inSize)),
                        new Tensor(dtype, Shape.of(len), piece));
                writeFully(ch, piece.asByteBuffer(), slot.offset() + from * dtype.byteSize());
                flushed(piece.byteSize());
            }
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            pos += ch.write(buf, pos);
        }
    }

    /**
     * Counts written bytes and, every {@link #FLUSH_BYTES}, starts one background {@code fdatasync} of the shards,
     * so that the disk works while the merge computes instead of all at once in {@link #commit()}.
     */
    private void flushed(long bytes) {
        if (unflushed.addAndGet(bytes) < FLUSH_BYTES || finished || !flushing.compareAndSet(false, true)) {
            return;
        }
        unflushed.set(0);
        flusher = Thread.ofPlatform().daemon().name("evomerge-flush").start(() -> {
            try {
                for (OutputFile out : outputs) {
                    FileChannel ch = out.channel;
                    if (ch != null && ch.isOpen() && !finished) {
                        ch.force(false);
                    }
                }
            } catch (IOException | RuntimeException e) {
                // only an early start of the write-back: commit() forces everything and reports errors
            } finally {
                flushing.set(false);
            }
        });
    }

    /** Waits for a background flush in progress (before channels are forced, closed or deleted). */
    private void awaitFlusher() {
        Thread t = flusher;
        if (t == null) {
            return;
        }
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** True once every planned tensor has been written. */
    public boolean complete() {
        for (int i = 0; i < plan.size(); i++) {
            if (state.get(i) != DONE) {
                return false;
            }
        }
        return true;
    }

    /**
     * Checks that every planned tensor was written exactly once, flushes and unmaps the shards, renames them to
     * their final names and writes the index (only for several shards).
     */
    @Override
    public void commit() {
        synchronized (lifecycle) {
            if (finished) {
                throw new IllegalStateException("the writer for " + dir + " is already committed or closed");
            }
            for (int i = 0; i < plan.size(); i++) {
                if (state.get(i) != DONE) {
                    throw EvomergeException.usage("Tensor '" + plan.get(i).name() + "' of the output plan for " + dir
                            + " was never written, so nothing was committed.");
                }
            }
            finished = true;
            freeBuffers();
            awaitFlusher();
            try {
                for (OutputFile out : outputs) {
                    out.channel.force(false);
                    out.channel.close();
                    out.channel = null;
                }
                for (OutputFile out : outputs) {
                    Files.move(out.partial, out.target, StandardCopyOption.ATOMIC_MOVE);
                    out.createdPartial = false;
                    out.createdTarget = true;
                }
                if (indexJson != null) {
                    Path partial = dir.resolve("." + ShardIndex.FILE_NAME + ".partial");
                    Path target = dir.resolve(ShardIndex.FILE_NAME);
                    OutputFile index = new OutputFile(partial, target);
                    outputs.add(index);
                    index.createdPartial = true;
                    Files.writeString(partial, indexJson, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
                            StandardOpenOption.WRITE);
                    Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
                    index.createdPartial = false;
                    index.createdTarget = true;
                }
                committed = true;
            } catch (IOException e) {
                throw EvomergeException.runtime("Cannot finish writing the model in " + dir + ": " + e.getMessage(), e);
            }
        }
    }

    /** After a commit: nothing. Otherwise unmaps and deletes every file this writer created. */
    @Override
    public void close() {
        synchronized (lifecycle) {
            finished = true;
            if (!committed) {
                discard(null);
            }
        }
    }

    private void discard(RuntimeException cause) {
        finished = true;
        awaitFlusher();
        freeBuffers();
        RuntimeException failure = null;
        for (OutputFile out : outputs) {
            try {
                if (out.channel != null) {
                    FileChannel ch = out.channel;
                    out.channel = null;
                    ch.close();
                }
                if (out.createdPartial) {
                    Files.deleteIfExists(out.partial);
                    out.createdPartial = false;
                }
                if (out.createdTarget) {
                    Files.deleteIfExists(out.target);
                    out.createdTarget = false;
                }
            } catch (IOException | RuntimeException e) {
                if (failure == null) {
                    failure = EvomergeException.runtime("Cannot delete the partial output in " + dir + ": "
                            + e.getMessage(), e);
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            if (cause != null) {
                cause.addSuppressed(failure);
            } else {
                throw failure;
            }
        }
    }

    /** The index as transformers writes it: json.dumps(index, indent=2, sort_keys=True) + "\n". */
    static String indexJson(ShardLayout layout) {
        List<String[]> entries = new ArrayList<>();
        for (ShardLayout.Shard s : layout.shards()) {
            for (TensorInfo t : s.tensors()) {
                entries.add(new String[] {t.name(), s.fileName()});
            }
        }
        entries.sort((a, b) -> JsonText.compareCodePoints(a[0], b[0]));
        StringBuilder sb = new StringBuilder(64 + 64 * entries.size());
        sb.append("{\n  \"metadata\": {\n    \"total_size\": ").append(layout.totalTensorBytes())
                .append("\n  },\n  \"weight_map\": {");
        for (int i = 0; i < entries.size(); i++) {
            sb.append(i == 0 ? "\n    " : ",\n    ");
            JsonText.appendPythonString(sb, entries.get(i)[0]);
            sb.append(": ");
            JsonText.appendPythonString(sb, entries.get(i)[1]);
        }
        sb.append(entries.isEmpty() ? "}" : "\n  }").append("\n}\n");
        return sb.toString();
    }
}
