package dev.evomerge.eval.filter;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.eval.python.PythonRegex;
import dev.evomerge.eval.python.PythonValues;
import dev.evomerge.eval.task.FilterSpec;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One lm-eval filter function over a document's responses (a list: one per repeat). Filters that lm-eval applies per
 * response map each element; {@code take_first} collapses the list to its first element.
 */
public sealed interface ResponseFilter {

    /** Applies the filter to one document's responses (a list, or a single value after take_first). */
    Object apply(Object responses);

    /** {@code regex}: the {@code group_select}-th findall match (stripped), else {@code fallback}. */
    record Regex(Pattern pattern, int groupSelect, String fallback) implements ResponseFilter {
        @Override
        public Object apply(Object responses) {
            return each(responses, r -> {
                List<Object> matches = PythonRegex.findall(pattern, String.valueOf(r));
                if (matches.isEmpty()) {
                    return fallback;
                }
                int i = groupSelect < 0 ? matches.size() + groupSelect : groupSelect;
                if (i < 0 || i >= matches.size()) {
                    // Python would raise IndexError here; a fallback answer keeps the run going and scores 0.
                    return fallback;
                }
                Object m = matches.get(i);
                if (m instanceof List<?> groups) {
                    m = groups.stream().filter(g -> !((String) g).isEmpty()).findFirst().orElse(null);
                    if (m == null) {
                        return fallback;
                    }
                }
                return PythonValues.strip((String) m);
            });
        }
    }

    /** {@code take_first}: the first response. */
    record TakeFirst() implements ResponseFilter {
        @Override
        public Object apply(Object responses) {
            return responses instanceof List<?> l ? l.getFirst() : responses;
        }
    }

    /** {@code take_first_k}: the first k responses. */
    record TakeFirstK(int k) implements ResponseFilter {
        @Override
        public Object apply(Object responses) {
            return responses instanceof List<?> l ? List.copyOf(l.subList(0, Math.min(k, l.size()))) : responses;
        }
    }

    /** {@code lowercase}. */
    record Lowercase() implements ResponseFilter {
        @Override
        public Object apply(Object responses) {
            return each(responses, r -> String.valueOf(r).toLowerCase(java.util.Locale.ROOT));
        }
    }

    /** {@code uppercase}. */
    record Uppercase() implements ResponseFilter {
        @Override
        public Object apply(Object responses) {
            return each(responses, r -> String.valueOf(r).toUpperCase(java.util.Locale.ROOT));
        }
    }

    /** {@code map}: {@code mapping_dict.get(response, default_value)}. */
    record MapValues(Map<String, Object> mapping, Object defaultValue) implements ResponseFilter {
        public MapValues {
            mapping = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(mapping));
        }

        @Override
        public Object apply(Object responses) {
            return each(responses, r -> mapping.containsKey(String.valueOf(r)) ? mapping.get(String.valueOf(r))
                    : defaultValue);
        }
    }

    /** {@code remove_whitespace}: drops one leading space. */
    record RemoveLeadingSpace() implements ResponseFilter {
        @Override
        public Object apply(Object responses) {
            return each(responses, r -> {
                String s = String.valueOf(r);
                return s.startsWith(" ") ? s.substring(1) : s;
            });
        }
    }

    /** {@code majority_vote}: the most common response (first seen wins ties), as a one-element list. */
    record MajorityVote() implements ResponseFilter {
        @Override
        public Object apply(Object responses) {
            if (!(responses instanceof List<?> l) || l.isEmpty()) {
                return responses;
            }
            Map<Object, Integer> counts = new LinkedHashMap<>();
            for (Object r : l) {
                counts.merge(r, 1, Integer::sum);
            }
            Object best = null;
            int bestCount = -1;
            for (Map.Entry<Object, Integer> e : counts.entrySet()) {
                if (e.getValue() > bestCount) {
                    best = e.getKey();
                    bestCount = e.getValue();
                }
            }
            List<Object> out = new ArrayList<>();
            out.add(best);
            return out;
        }
    }

    private static Object each(Object responses, UnaryOperator<Object> f) {
        if (responses instanceof List<?> l) {
            List<Object> out = new ArrayList<>(l.size());
            for (Object r : l) {
                out.add(f.apply(r));
            }
            return out;
        }
        return f.apply(responses);
    }

    /** Builds one step; {@code where} names task and file for messages. */
    static ResponseFilter of(FilterSpec.Step step, String where) {
        Map<String, Object> a = step.args();
        return switch (step.function()) {
            case "regex" -> {
                String pattern = a.containsKey("regex_pattern") ? String.valueOf(a.get("regex_pattern"))
                        : "#### (\\-?[0-9\\.\\,]+)";
                Object gs = a.getOrDefault("group_select", 0L);
                if (!(gs instanceof Number n)) {
                    throw EvomergeException.usage(where + ": regex filter group_select must be an integer, got " + gs);
                }
                Object fallback = a.getOrDefault("fallback", "[invalid]");
                try {
                    yield new Regex(PythonRegex.compile(pattern), n.intValue(), String.valueOf(fallback));
                } catch (PatternSyntaxException e) {
                    throw EvomergeException.usage(where + ": regex filter pattern '" + pattern
                            + "' is not a valid regex: " + e.getDescription());
                }
            }
            case "take_first" -> new TakeFirst();
            case "take_first_k" -> {
                if (!(a.get("k") instanceof Number k)) {
                    throw EvomergeException.usage(where + ": take_first_k needs an integer 'k'");
                }
                yield new TakeFirstK(k.intValue());
            }
            case "lowercase" -> new Lowercase();
            case "uppercase" -> new Uppercase();
            case "map" -> {
                Object m = a.get("mapping_dict");
                Map<String, Object> mapping = new HashMap<>();
                if (m instanceof Map<?, ?> mm) {
                    mm.forEach((k, v) -> mapping.put(String.valueOf(k), v));
                } else if (m != null) {
                    throw EvomergeException.usage(where + ": map filter mapping_dict must be a mapping, got " + m);
                }
                yield new MapValues(mapping, a.get("default_value"));
            }
            case "remove_whitespace" -> new RemoveLeadingSpace();
            case "majority_vote" -> new MajorityVote();
            default -> throw EvomergeException.usage(where + ": filter function '" + step.function()
                    + "' is not supported; use regex, take_first, take_first_k, lowercase, uppercase, map, "
                    + "remove_whitespace or majority_vote");
        };
    }
}
