package dev.evomerge.eval.prompt;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.eval.python.PythonValues;

import java.util.Map;
import java.util.stream.Collectors;

/**
 * Renders lm-eval's Jinja templates ({@code doc_to_text}, {@code description}, ...) with a document's fields as
 * variables: undefined names are errors (lm-eval uses StrictUndefined), nested fields work ({@code choices.text}),
 * lists print as Python literals, and Python list methods such as {@code .index()} are available.
 * Safe to share between threads.
 */
public final class TemplateRenderer {

    private final Jinjava jinjava;

    public TemplateRenderer() {
        this.jinjava = new Jinjava(JinjavaConfig.newBuilder()
                .withFailOnUnknownTokens(true)
                .withLegacyOverrides(LegacyOverrides.newBuilder().withUsePyishObjectMapper(true).build())
                .build());
    }

    /**
     * Renders {@code template} over {@code doc}.
     *
     * @param what names the task and key for messages, e.g. "task arc_easy doc_to_text (arc.yaml:7)"
     * @param docIndex the document's index in its split, for messages (-1 when not about a document)
     */
    public String render(String template, Map<String, Object> doc, String what, int docIndex) {
        RenderResult result;
        try {
            result = jinjava.renderForResult(template, protect(doc));
        } catch (RuntimeException e) {
            throw failure(template, what, docIndex, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
        }
        var fatal = result.getErrors().stream().filter(e -> e.getSeverity() == TemplateError.ErrorType.FATAL).toList();
        if (!fatal.isEmpty()) {
            throw failure(template, what, docIndex, fatal.stream().map(TemplateRenderer::describe)
                    .collect(Collectors.joining("; ")));
        }
        return restore(result.getOutput());
    }

    /** Control characters are moved to private-use code points so the renderer prints them raw, as Jinja2 does. */
    private static final int SHIFT = 0xF0000;

    @SuppressWarnings("unchecked")
    private static <T> T protect(T value) {
        return (T) switch (value) {
            case String s -> hasControl(s) ? shift(s) : s;
            case Map<?, ?> m -> {
                if (!anyControl(m)) {
                    yield m;
                }
                Map<Object, Object> out = new java.util.LinkedHashMap<>();
                m.forEach((k, v) -> out.put(k, protect(v)));
                yield out;
            }
            case java.util.List<?> l -> {
                if (!anyControl(l)) {
                    yield l;
                }
                java.util.List<Object> out = new java.util.ArrayList<>(l.size());
                l.forEach(v -> out.add(protect(v)));
                yield out;
            }
            case null, default -> value;
        };
    }

    private static boolean anyControl(Object o) {
        return switch (o) {
            case String s -> hasControl(s);
            case Map<?, ?> m -> m.values().stream().anyMatch(TemplateRenderer::anyControl);
            case java.util.List<?> l -> l.stream().anyMatch(TemplateRenderer::anyControl);
            case null, default -> false;
        };
    }

    private static boolean hasControl(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 && c != '\n' && c != '\t') {
                return true;
            }
        }
        return false;
    }

    private static String shift(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c < 0x20 && c != '\n' && c != '\t') {
                out.appendCodePoint(SHIFT + c);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static String restore(String s) {
        if (s.indexOf('\uDB80') < 0) {
            return s;
        }
        StringBuilder out = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> {
            if (cp >= SHIFT && cp < SHIFT + 0x20) {
                out.append((char) (cp - SHIFT));
            } else {
                out.appendCodePoint(cp);
            }
        });
        return out.toString();
    }

    private static String describe(TemplateError e) {
        String m = e.getMessage() == null ? e.getReason().toString() : e.getMessage();
        m = m.replace("UnknownTokenException: Unknown token found: ", "undefined variable ");
        return e.getLineno() > 0 ? m + " (template line " + e.getLineno() + ")" : m;
    }

    private static EvomergeException failure(String template, String what, int docIndex, String message) {
        String shown = template.length() > 80 ? template.substring(0, 77) + "..." : template;
        return EvomergeException.usage(what + ": template " + PythonValues.stringRepr(shown) + " failed"
                + (docIndex >= 0 ? " on document " + docIndex : "") + ": " + message);
    }
}
