package dev.evomerge.core.io;

import dev.evomerge.core.EvomergeException;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * An output directory that appears all at once: write into {@link #path()} (a hidden temporary sibling of the
 * target, on the same file system), then {@link #commit()} renames it onto the target atomically. Closing without
 * committing deletes the temporary directory, so a failed write leaves nothing at the target; a killed process
 * leaves only a hidden {@code .NAME.tmp-XXXX} sibling.
 * <p>
 * While it writes, the owner holds an exclusive lock on {@value #LOCK_FILE} inside the temporary directory; the
 * operating system drops the lock when the process ends, however it ends (kill -9 included). So a temporary whose
 * lock can be taken was abandoned: the next {@link #create} of the same target deletes it, and
 * {@link #state} tells {@code inspect} which temporaries are still being written.
 */
public final class AtomicDirectory implements AutoCloseable {

    /** The lock file inside a temporary directory; it is deleted before the directory becomes the target. */
    public static final String LOCK_FILE = ".evomerge-writing";
    private static final String TMP = ".tmp-";

    /** What a temporary directory is: still being written, left behind by a process that ended, or unknown. */
    public enum TemporaryState {
        /** its writer is running (the lock is held). */
        WRITING,
        /** its writer ended without finishing (the lock is free): it will never be completed. */
        ABANDONED,
        /** no lock file (written by an older evomerge, or a write just starting or finishing) or it cannot be read. */
        UNKNOWN
    }

    /** A hidden temporary directory, the name of the target it was to become, and its state. */
    public record Temporary(Path path, String target, TemporaryState state) {
    }

    private final Path target;
    private final Path temp;
    private final FileChannel lockChannel;
    private final List<Path> removed;
    private boolean committed;
    private boolean closed;

    private AtomicDirectory(Path target, Path temp, FileChannel lockChannel, List<Path> removed) {
        this.target = target;
        this.temp = temp;
        this.lockChannel = lockChannel;
        this.removed = removed;
    }

    /**
     * Prepares to write {@code target}, which must not exist or be an empty directory; its parent is created if
     * missing. Throws a usage error naming the path if the target is a file or a non-empty directory.
     */
    public static AtomicDirectory create(Path target) {
        Path abs = target.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        if (parent == null || abs.getFileName() == null) {
            throw EvomergeException.usage("Output directory " + target + " cannot be the file system root.");
        }
        checkTarget(abs, target);
        try {
            Files.createDirectories(parent);
        } catch (IOException e) {
            throw EvomergeException.usage("Cannot create the parent directory " + parent + " of output " + target
                    + ": " + reason(nearestExisting(parent), e) + ".", e);
        }
        List<Path> removed = removeAbandoned(abs);
        String prefix = "." + abs.getFileName() + TMP;
        for (int attempt = 0; ; attempt++) {
            byte[] random = new byte[6];
            ThreadLocalRandom.current().nextBytes(random);
            Path temp = parent.resolve(prefix + HexFormat.of().formatHex(random));
            try {
                // Plain createDirectory keeps the user's umask (createTempDirectory would force mode 0700).
                Files.createDirectory(temp);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) {
                    throw EvomergeException.runtime("Cannot create a temporary directory next to " + target + ".", e);
                }
                continue;
            } catch (IOException e) {
                throw EvomergeException.usage("Cannot create a temporary directory in " + parent + " for output "
                        + target + ": " + reason(parent, e) + ".", e);
            }
            try {
                return new AtomicDirectory(abs, temp, lock(temp), removed);
            } catch (RuntimeException e) {
                try {
                    deleteRecursively(temp);
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            }
        }
    }

    /**
     * The held lock of a new temporary directory, or null where the file system has no locks (some network file
     * systems): the write goes on, but its temporary cannot be recognised as abandoned later ({@link #locked()}).
     */
    private static FileChannel lock(Path temp) {
        Path file = temp.resolve(LOCK_FILE);
        FileChannel ch = null;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                    StandardOpenOption.READ);
            ch.lock();
            return ch;
        } catch (IOException e) {
            closeQuietly(ch);
            try {
                Files.deleteIfExists(file); // no lock file: the state reads as UNKNOWN, never as ABANDONED
            } catch (IOException e2) {
                // an unheld lock file would let another process take this live write for an abandoned one
                e2.addSuppressed(e);
                throw EvomergeException.runtime("Cannot lock " + file + " nor remove it: " + e2.getMessage(), e2);
            }
            return null;
        }
    }

    /** Whether this write holds its lock (false where the file system has no locks). */
    public boolean locked() {
        return lockChannel != null;
    }

    /**
     * Why a directory could not be created in {@code folder}, in words: the folder is missing, not a folder,
     * read-only (the file system), or not writable by this user; else the system's message.
     */
    public static String reason(Path folder, IOException e) {
        if (!Files.exists(folder)) {
            return "no such folder";
        }
        if (!Files.isDirectory(folder)) {
            return "it is not a folder";
        }
        try {
            if (Files.getFileStore(folder).isReadOnly()) {
                return "the file system is read-only";
            }
        } catch (IOException ignored) {
            // fall through to the permission check
        }
        if (e instanceof AccessDeniedException || !Files.isWritable(folder)) {
            return "permission denied (the folder is not writable by this user)";
        }
        return Reasons.of(e);
    }

    private static Path nearestExisting(Path p) {
        Path q = p;
        while (q.getParent() != null && !Files.exists(q)) {
            q = q.getParent();
        }
        return q;
    }

    /** Deletes the abandoned temporaries of {@code target} (absolute) and returns them. */
    private static List<Path> removeAbandoned(Path target) {
        return remove(temporariesOf(target));
    }

    /**
     * Deletes the abandoned temporaries of any target directly inside {@code folder} and returns them (for a folder
     * whose every entry evomerge writes, e.g. the candidates an evolution run merges to disk).
     */
    public static List<Path> removeAbandonedIn(Path folder) {
        return remove(temporariesIn(folder));
    }

    private static List<Path> remove(List<Temporary> temporaries) {
        List<Path> removed = new ArrayList<>();
        for (Temporary t : temporaries) {
            if (t.state() != TemporaryState.ABANDONED) {
                continue;
            }
            try {
                deleteRecursively(t.path());
                removed.add(t.path());
            } catch (NoSuchFileException gone) {
                // another process cleaned it up at the same moment
            } catch (IOException e) {
                throw EvomergeException.runtime("Cannot delete the abandoned temporary directory " + t.path()
                        + " of an earlier write of " + t.target() + ": " + e.getMessage(), e);
            }
        }
        return removed;
    }

    /** The abandoned temporaries of the target that {@link #create} deleted before it started. */
    public List<Path> removedAbandoned() {
        return removed;
    }

    /** The name of the target a hidden temporary directory was to become, if {@code dir}'s name is one. */
    public static Optional<String> targetOf(Path dir) {
        Path name = dir.toAbsolutePath().normalize().getFileName();
        if (name == null) {
            return Optional.empty();
        }
        String n = name.toString();
        int at = n.lastIndexOf(TMP);
        if (!n.startsWith(".") || at <= 1 || n.length() == at + TMP.length()) {
            return Optional.empty();
        }
        return Optional.of(n.substring(1, at));
    }

    /** The state of a temporary directory: whether a running process holds its lock. */
    public static TemporaryState state(Path temp) {
        Path lockFile = temp.resolve(LOCK_FILE);
        if (!Files.isRegularFile(lockFile, LinkOption.NOFOLLOW_LINKS)) {
            return TemporaryState.UNKNOWN;
        }
        try (FileChannel ch = FileChannel.open(lockFile, StandardOpenOption.READ)) {
            FileLock l = ch.tryLock(0, Long.MAX_VALUE, true);
            if (l == null) {
                return TemporaryState.WRITING;
            }
            l.release();
            return TemporaryState.ABANDONED;
        } catch (OverlappingFileLockException e) {
            return TemporaryState.WRITING; // held by this very process
        } catch (IOException e) {
            return TemporaryState.UNKNOWN;
        }
    }

    /** The hidden temporary directories directly inside {@code folder} (of any target), sorted by name. */
    public static List<Temporary> temporariesIn(Path folder) {
        return temporariesIn(folder, target -> true);
    }

    /** Only those of targets {@code wanted} accepts: the others' locks are not probed. */
    private static List<Temporary> temporariesIn(Path folder, java.util.function.Predicate<String> wanted) {
        List<Temporary> out = new ArrayList<>();
        if (!Files.isDirectory(folder)) {
            return out;
        }
        try (Stream<Path> entries = Files.list(folder)) {
            entries.sorted().forEach(p -> targetOf(p).filter(wanted).filter(t -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
                    .ifPresent(t -> out.add(new Temporary(p, t, state(p)))));
        } catch (IOException e) {
            return out; // an unreadable folder has no temporaries we could clean or report
        }
        return out;
    }

    /** The hidden temporary directories of {@code target} (its siblings named {@code .NAME.tmp-*}). */
    public static List<Temporary> temporariesOf(Path target) {
        Path abs = target.toAbsolutePath().normalize();
        if (abs.getParent() == null || abs.getFileName() == null) {
            return List.of();
        }
        String name = abs.getFileName().toString();
        return temporariesIn(abs.getParent(), name::equals);
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // nothing more to release
            }
        }
    }

    private static void checkTarget(Path abs, Path shown) {
        if (!Files.exists(abs, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        if (!Files.isDirectory(abs, LinkOption.NOFOLLOW_LINKS)) {
            throw EvomergeException.usage("Output directory " + shown + " already exists and is not a directory.");
        }
        try (Stream<Path> entries = Files.list(abs)) {
            if (entries.findAny().isPresent()) {
                throw EvomergeException.usage("Output directory " + shown
                        + " already exists and is not empty; choose another path or remove it.");
            }
        } catch (IOException e) {
            throw EvomergeException.usage("Output directory " + shown + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** Where to write the contents until {@link #commit()}. */
    public Path path() {
        return temp;
    }

    /** The final directory. */
    public Path target() {
        return target;
    }

    /** Moves the written directory onto the target (removing an empty target directory first). */
    public void commit() {
        if (committed || closed) {
            throw new IllegalStateException("output directory " + target + " is already committed or closed");
        }
        checkTarget(target, target);
        try {
            // The lock file must not become part of the output; the directory is complete once it is gone.
            Files.deleteIfExists(temp.resolve(LOCK_FILE));
            closeQuietly(lockChannel);
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                Files.delete(target);
            }
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (DirectoryNotEmptyException | FileAlreadyExistsException e) {
            throw EvomergeException.usage("Output directory " + target
                    + " was created by someone else while writing; the result is left in " + temp + ".", e);
        } catch (IOException e) {
            throw EvomergeException.runtime("Cannot move " + temp + " to " + target + ": " + e.getMessage(), e);
        }
        committed = true;
    }

    /** Deletes the temporary directory and everything in it unless {@link #commit()} succeeded. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (committed) {
            return;
        }
        try {
            // delete first, then drop the lock, so no other process sees an abandoned directory half deleted
            deleteRecursively(temp);
        } catch (IOException e) {
            throw EvomergeException.runtime("Cannot delete the temporary directory " + temp + ": " + e.getMessage(),
                    e);
        } finally {
            closeQuietly(lockChannel);
        }
    }

    private static void deleteRecursively(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        // walkFileTree does not follow symbolic links, so a link inside is deleted, never its target.
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                if (exc != null) {
                    throw exc;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    @Override
    public String toString() {
        return "AtomicDirectory[" + target + " via " + temp + "]";
    }
}
