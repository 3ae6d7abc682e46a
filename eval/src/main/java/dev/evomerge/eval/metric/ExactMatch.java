package dev.evomerge.eval.metric;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.eval.python.PythonRegex;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * lm-eval's {@code exact_match} (ported from Hugging Face evaluate): optionally strip {@code regexes_to_ignore} from
 * both sides, then lower-case ({@code ignore_case}), drop ASCII punctuation ({@code ignore_punctuation}) and digits
 * ({@code ignore_numbers}), and compare. With several references the score is the fraction that match.
 */
public record ExactMatch(List<Pattern> regexesToIgnore, boolean ignoreCase, boolean ignorePunctuation,
                         boolean ignoreNumbers) {

    private static final String PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

    public ExactMatch {
        regexesToIgnore = List.copyOf(regexesToIgnore);
    }

    /** Reads the metric_list keyword arguments; {@code where} names the task for messages. */
    public static ExactMatch fromKwargs(Map<String, Object> kwargs, String where) {
        List<Pattern> patterns = new ArrayList<>();
        Object r = kwargs.get("regexes_to_ignore");
        if (r != null) {
            if (!(r instanceof List<?> list)) {
                throw EvomergeException.usage(where + ": exact_match regexes_to_ignore must be a list of regexes");
            }
            for (Object p : list) {
                try {
                    patterns.add(PythonRegex.compile(String.valueOf(p)));
                } catch (PatternSyntaxException e) {
                    throw EvomergeException.usage(where + ": exact_match regexes_to_ignore entry '" + p
                            + "' is not a valid regex: " + e.getDescription());
                }
            }
        }
        return new ExactMatch(patterns, flag(kwargs, "ignore_case"), flag(kwargs, "ignore_punctuation"),
                flag(kwargs, "ignore_numbers"));
    }

    private static boolean flag(Map<String, Object> kwargs, String key) {
        return kwargs.get(key) instanceof Boolean b && b;
    }

    /** The score of one prediction against its references (1.0 or 0.0 for a single reference). */
    public double score(String prediction, List<String> references) {
        String p = normalise(prediction);
        int hits = 0;
        for (String ref : references) {
            if (normalise(ref).equals(p)) {
                hits++;
            }
        }
        return (double) hits / references.size();
    }

    String normalise(String s) {
        for (Pattern pattern : regexesToIgnore) {
            s = PythonRegex.removeAll(pattern, s);
        }
        if (ignoreCase) {
            s = s.toLowerCase(java.util.Locale.ROOT);
        }
        if (ignorePunctuation) {
            s = strip(s, PUNCTUATION);
        }
        if (ignoreNumbers) {
            s = strip(s, "0123456789");
        }
        return s;
    }

    private static String strip(String s, String chars) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            if (chars.indexOf(s.charAt(i)) < 0) {
                out.append(s.charAt(i));
            }
        }
        return out.toString();
    }
}
