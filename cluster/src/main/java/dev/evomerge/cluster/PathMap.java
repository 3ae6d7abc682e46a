package dev.evomerge.cluster;

import dev.evomerge.core.EvomergeException;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/** Rewrites path prefixes the coordinator uses into the ones a worker sees ({@code --path-map FROM=TO}, repeatable). */
public record PathMap(List<Entry> entries) implements Serializable {

    /** One prefix rewrite. */
    public record Entry(String from, String to) implements Serializable {
    }

    public PathMap {
        entries = List.copyOf(entries);
    }

    public static PathMap none() {
        return new PathMap(List.of());
    }

    public static PathMap parse(List<String> specs) {
        List<Entry> out = new ArrayList<>();
        for (String s : specs) {
            int eq = s.indexOf('=');
            if (eq <= 0 || eq == s.length() - 1) {
                throw EvomergeException.usage("--path-map '" + s + "' must be FROM=TO (two path prefixes).");
            }
            out.add(new Entry(s.substring(0, eq), s.substring(eq + 1)));
        }
        return new PathMap(out);
    }

    /** The first matching prefix is rewritten; a path no entry matches is returned unchanged. */
    public String apply(String path) {
        for (Entry e : entries) {
            if (path.equals(e.from()) || path.startsWith(e.from().endsWith("/") ? e.from() : e.from() + "/")) {
                return e.to() + path.substring(e.from().length());
            }
        }
        return path;
    }
}
