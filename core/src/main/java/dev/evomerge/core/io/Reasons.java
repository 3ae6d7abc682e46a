package dev.evomerge.core.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.databind.JsonMappingException;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.regex.Pattern;

/**
 * Why a file or a JSON text could not be read, as a phrase a user can act on. The JDK's file exceptions often carry
 * nothing but the path ({@code NoSuchFileException: /x}), and Jackson's messages carry parser internals (source
 * descriptions, character codes, class and feature names); messages are built from these phrases instead.
 */
public final class Reasons {

    private static final Pattern SOURCE = Pattern.compile("\\s*\\(?(start marker )?at \\[Source: [^\\]]*\\]\\)?");
    private static final Pattern CHAR_CODE = Pattern.compile("\\s*\\((CTRL-CHAR, )?code \\d+\\)");
    private static final Pattern TOKEN = Pattern.compile("\\s*\\(token `JsonToken\\.\\w+`\\)");
    private static final Pattern QUALIFIED = Pattern.compile("`(?:[a-z_][\\w$]*\\.)+([\\w$]+)`");
    private static final Pattern BACKTICKS = Pattern.compile("`([^`]*)`");

    private Reasons() {
    }

    /**
     * What went wrong with a file operation, naming the file the system complained about, e.g.
     * "/data/x does not exist", "permission denied on /data/x", "No space left on device"; for a JSON parse error,
     * {@link #json}. Never just the path.
     */
    public static String of(IOException e) {
        String file = e instanceof FileSystemException f && f.getFile() != null ? f.getFile() : null;
        String it = file != null ? file : "it";
        return switch (e) {
            case JacksonException j -> json(j);
            case NoSuchFileException _ -> it + " does not exist";
            case AccessDeniedException _ -> "permission denied" + (file != null ? " on " + file : "");
            case FileAlreadyExistsException _ -> it + " already exists";
            case NotDirectoryException _ -> it + " is not a directory";
            case DirectoryNotEmptyException _ -> it + " is not an empty directory";
            case FileSystemLoopException _ -> it + " is in a symbolic link loop";
            case FileSystemException f when file != null && "Not a directory".equals(f.getReason())
                    && fileOnThePath(java.nio.file.Path.of(file)) != null ->
                    fileOnThePath(java.nio.file.Path.of(file)) + " is a file, not a folder";
            case FileSystemException f when f.getReason() != null -> (file != null ? file + ": " : "") + f.getReason();
            case FileSystemException _ -> "a file system error on " + it + " (" + e.getClass().getSimpleName() + ")";
            default -> e.getMessage() == null || e.getMessage().isBlank()
                    ? "an I/O error (" + e.getClass().getSimpleName() + ")" : e.getMessage();
        };
    }

    private static boolean notAFolder(java.nio.file.Path p) {
        return java.nio.file.Files.exists(p) && !java.nio.file.Files.isDirectory(p);
    }

    /** The first path element of {@code p} that exists as a file, where a folder was needed; null if none. */
    private static java.nio.file.Path fileOnThePath(java.nio.file.Path p) {
        java.nio.file.Path q = p.isAbsolute() ? p.getRoot() : java.nio.file.Path.of("");
        for (java.nio.file.Path name : p) {
            q = q.resolve(name);
            if (notAFolder(q) && !q.equals(p)) {
                return q;
            }
        }
        return null;
    }

    /**
     * What is wrong with a JSON text: where (line and column, or the field path for a value of the wrong type) and
     * the parser's complaint without its internals, e.g. "line 3, column 7: unexpected character ('x'): expected a
     * valid value (JSON String, Number, Array, Object or token 'null', 'true' or 'false')".
     */
    public static String json(JacksonException e) {
        String message = clean(e.getOriginalMessage());
        if (e instanceof JsonMappingException m && !m.getPath().isEmpty()) {
            return "field '" + path(m) + "': " + message;
        }
        JsonLocation at = e.getLocation();
        if (at != null && at.getLineNr() > 0) {
            return "line " + at.getLineNr() + ", column " + at.getColumnNr() + ": " + message;
        }
        return message;
    }

    private static String clean(String original) {
        if (original == null || original.isBlank()) {
            return "malformed JSON";
        }
        String s = original.lines().findFirst().orElse(original);
        if (s.startsWith("Trailing token")) {
            return "there is more text after the end of the JSON value";
        }
        if (s.startsWith("No content to map due to end-of-input")) {
            return "it is empty";
        }
        s = SOURCE.matcher(s).replaceAll("");
        s = CHAR_CODE.matcher(s).replaceAll("");
        s = TOKEN.matcher(s).replaceAll("");
        s = QUALIFIED.matcher(s).replaceAll("$1");
        s = BACKTICKS.matcher(s).replaceAll("$1");
        s = s.strip();
        if (s.isEmpty()) {
            return "malformed JSON";
        }
        boolean word = s.length() > 1 && Character.isLowerCase(s.charAt(1)); // keep "JSON ..." as it is
        return word ? Character.toLowerCase(s.charAt(0)) + s.substring(1) : s;
    }

    private static String path(JsonMappingException m) {
        StringBuilder out = new StringBuilder();
        for (JsonMappingException.Reference r : m.getPath()) {
            if (r.getFieldName() != null) {
                out.append(out.isEmpty() ? "" : ".").append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                out.append('[').append(r.getIndex()).append(']');
            }
        }
        return out.toString();
    }
}
