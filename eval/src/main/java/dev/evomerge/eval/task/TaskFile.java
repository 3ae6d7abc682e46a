package dev.evomerge.eval.task;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.TextFiles;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where a task YAML (or a file it names) lives: a file on disk, or a resource bundled with evomerge.
 * Relative references ({@code include}, {@code data_files}) resolve against the directory of the file.
 */
public sealed interface TaskFile {

    /** A file on disk. */
    record OnDisk(Path path) implements TaskFile {
        public OnDisk {
            path = path.toAbsolutePath().normalize();
        }

        @Override
        public String describe() {
            return path.toString();
        }

        @Override
        public String read() {
            return TextFiles.readUtf8(path, "Task file");
        }

        @Override
        public boolean exists() {
            return Files.isRegularFile(path);
        }

        @Override
        public TaskFile resolve(String relative) {
            Path p = Path.of(relative);
            return new OnDisk(p.isAbsolute() ? p : path.getParent().resolve(p));
        }

        @Override
        public TaskFile child(String name) {
            return new OnDisk(path.resolve(name));
        }

        @Override
        public boolean isDirectory() {
            return Files.isDirectory(path);
        }

        @Override
        public Optional<Path> localPath() {
            return Optional.of(path);
        }
    }

    /** A classpath resource bundled with evomerge, by its absolute resource name (no leading slash). */
    record Bundled(String resource) implements TaskFile {
        @Override
        public String describe() {
            return "bundled:" + resource;
        }

        @Override
        public String read() {
            try (InputStream in = TaskFile.class.getClassLoader().getResourceAsStream(resource)) {
                if (in == null) {
                    throw EvomergeException.usage("bundled file " + resource + " is missing from the evomerge jar");
                }
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw EvomergeException.runtime("cannot read bundled file " + resource + ": " + e.getMessage(), e);
            }
        }

        @Override
        public boolean exists() {
            return TaskFile.class.getClassLoader().getResource(resource) != null;
        }

        @Override
        public TaskFile resolve(String relative) {
            if (Path.of(relative).isAbsolute()) {
                return new OnDisk(Path.of(relative));
            }
            int slash = resource.lastIndexOf('/');
            String dir = slash < 0 ? "" : resource.substring(0, slash + 1);
            return new Bundled(Path.of(dir + relative).normalize().toString().replace('\\', '/'));
        }

        @Override
        public TaskFile child(String name) {
            return new Bundled(Path.of(resource + "/" + name).normalize().toString().replace('\\', '/'));
        }

        @Override
        public boolean isDirectory() {
            // Resource directories cannot be listed portably; a bundled name without an extension is a directory.
            return !resource.substring(resource.lastIndexOf('/') + 1).contains(".");
        }

        @Override
        public Optional<Path> localPath() {
            return Optional.empty();
        }
    }

    /** A name for messages: the absolute path, or {@code bundled:<resource>}. */
    String describe();

    /** The whole file as UTF-8 text. */
    String read();

    boolean exists();

    /** A file named relative to this one's directory (absolute paths stay as they are). */
    TaskFile resolve(String relative);

    /** A file inside this one, taken as a directory. */
    TaskFile child(String name);

    /** Whether this names a directory. */
    boolean isDirectory();

    /** The file on disk, when it is one. */
    Optional<Path> localPath();
}
