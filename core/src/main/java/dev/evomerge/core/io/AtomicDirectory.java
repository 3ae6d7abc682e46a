package dev.evomerge.core.io;

import dev.evomerge.core.EvomergeException;

import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * An output directory that appears all at once: write into {@link #path()} (a hidden temporary sibling of the
 * target, on the same file system), then {@link #commit()} renames it onto the target atomically. Closing without
 * committing deletes the temporary directory, so a failed write leaves nothing at the target; a killed process
 * leaves only a hidden {@code .NAME.tmp-XXXX} sibling.
 */
public final class AtomicDirectory implements AutoCloseable {

    private final Path target;
    private final Path temp;
    private boolean committed;
    private boolean closed;

    private AtomicDirectory(Path target, Path temp) {
        this.target = target;
        this.temp = temp;
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
                    + ": " + e.getMessage(), e);
        }
        String prefix = "." + abs.getFileName() + ".tmp-";
        for (int attempt = 0; ; attempt++) {
            byte[] random = new byte[6];
            ThreadLocalRandom.current().nextBytes(random);
            Path temp = parent.resolve(prefix + HexFormat.of().formatHex(random));
            try {
                // Plain createDirectory keeps the user's umask (createTempDirectory would force mode 0700).
                Files.createDirectory(temp);
                return new AtomicDirectory(abs, temp);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) {
                    throw EvomergeException.runtime("Cannot create a temporary directory next to " + target + ".", e);
                }
            } catch (IOException e) {
                throw EvomergeException.usage("Cannot create a temporary directory in " + parent + " for output "
                        + target + ": " + e.getMessage(), e);
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
            deleteRecursively(temp);
        } catch (IOException e) {
            throw EvomergeException.runtime("Cannot delete the temporary directory " + temp + ": " + e.getMessage(),
                    e);
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
