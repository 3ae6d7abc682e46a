package dev.evomerge.core;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No two packages of one module's main code depend on each other, directly or through other packages of the module
 * (Maven already forbids cycles between modules). A dependency is any mention of a class of another package of the
 * module in a source file: an import, a static import or a fully qualified name.
 */
class PackageCyclesTest {

    private static final Pattern PACKAGE = Pattern.compile("^package\\s+([\\w.]+)\\s*;", Pattern.MULTILINE);
    /** A package name of this project followed by a class name (upper-case start) or a wildcard. */
    private static final Pattern REFERENCE = Pattern.compile("\\b(dev\\.evomerge(?:\\.[a-z_][a-z0-9_]*)+)\\.(?:[A-Z]|\\*)");
    private static final Pattern MODULE = Pattern.compile("<module>([^<]+)</module>");

    static Stream<String> modules() {
        Matcher m = MODULE.matcher(read(projectRoot().resolve("pom.xml")));
        List<String> out = new ArrayList<>();
        while (m.find()) {
            out.add(m.group(1).trim());
        }
        return out.stream();
    }

    @ParameterizedTest
    @MethodSource("modules")
    void packagesOfTheModulesMainCodeFormNoCycle(String module) {
        Path main = projectRoot().resolve(module).resolve("src/main/java");
        Set<Set<String>> cycles = cycles(dependencies(main));
        assertThat(cycles).as("package cycles in %s/src/main", module).isEmpty();
    }

    @Test
    void theScanFindsAllModulesAndACycleWhereThereIsOne() {
        assertThat(modules()).contains("core", "merge", "eval", "evolve");
        Map<String, Set<String>> deps = new TreeMap<>(Map.of(
                "a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a", "d"), "d", Set.of(), "e", Set.of("d")));
        assertThat(cycles(deps)).containsExactly(Set.of("a", "b", "c"));
        assertThat(cycles(Map.of("a", Set.of("b"), "b", Set.of()))).isEmpty();
    }

    /** package -> the other packages of the same source tree that its files mention. */
    private static Map<String, Set<String>> dependencies(Path sourceRoot) {
        Map<String, String> text = new HashMap<>();
        Map<String, Set<String>> deps = new TreeMap<>();
        try (Stream<Path> files = Files.walk(sourceRoot)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                String source = read(f);
                Matcher p = PACKAGE.matcher(source);
                boolean named = p.find();
                String pkg = named ? p.group(1) : "";
                text.merge(pkg, source.substring(named ? p.end() : 0), String::concat);
                deps.putIfAbsent(pkg, new TreeSet<>());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        text.forEach((pkg, source) -> {
            Matcher r = REFERENCE.matcher(source);
            while (r.find()) {
                String target = r.group(1);
                if (!target.equals(pkg) && deps.containsKey(target)) {
                    deps.get(pkg).add(target);
                }
            }
        });
        return deps;
    }

    /** The strongly connected components with more than one package (Tarjan's algorithm). */
    private static Set<Set<String>> cycles(Map<String, Set<String>> deps) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new TreeSet<>();
        Set<Set<String>> out = new HashSet<>();
        for (String v : deps.keySet()) {
            if (!index.containsKey(v)) {
                connect(v, deps, index, low, stack, onStack, out);
            }
        }
        return out;
    }

    private static void connect(String v, Map<String, Set<String>> deps, Map<String, Integer> index,
                                Map<String, Integer> low, Deque<String> stack, Set<String> onStack,
                                Set<Set<String>> out) {
        index.put(v, index.size());
        low.put(v, index.get(v));
        stack.push(v);
        onStack.add(v);
        for (String w : deps.getOrDefault(v, Set.of())) {
            if (!index.containsKey(w)) {
                connect(w, deps, index, low, stack, onStack, out);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            Set<String> component = new TreeSet<>();
            String w;
            do {
                w = stack.pop();
                onStack.remove(w);
                component.add(w);
            } while (!w.equals(v));
            if (component.size() > 1) {
                out.add(component);
            }
        }
    }

    /** The folder of the parent pom (the one that lists the modules), found by walking up from the working directory. */
    private static Path projectRoot() {
        for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path pom = p.resolve("pom.xml");
            if (Files.isRegularFile(pom) && read(pom).contains("<modules>")) {
                return p;
            }
        }
        throw new IllegalStateException("no parent pom.xml with <modules> above " + Path.of("").toAbsolutePath());
    }

    private static String read(Path f) {
        try {
            return Files.readString(f);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
