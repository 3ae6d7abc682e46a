package dev.evomerge.eval.python;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Python {@code re} patterns on java.util.regex: translates the Python-only group syntax ({@code (?P<name>...)},
 * {@code (?P=name)}) and matches with Unicode character classes as Python 3 str patterns do.
 */
public final class PythonRegex {

    private PythonRegex() {
    }

    /**
     * Compiles a Python regular expression.
     *
     * @throws PatternSyntaxException when Java cannot compile it
     */
    public static Pattern compile(String pythonPattern) {
        String p = pythonPattern.replace("(?P<", "(?<").replaceAll("\\(\\?P=(\\w+)\\)", "\\\\k<$1>");
        return Pattern.compile(p, Pattern.UNICODE_CHARACTER_CLASS);
    }

    /**
     * {@code re.findall}: whole matches when the pattern has no groups, group 1 when it has one, and a list of all
     * groups (unmatched ones as "") when it has several.
     */
    public static List<Object> findall(Pattern pattern, String text) {
        List<Object> out = new ArrayList<>();
        Matcher m = pattern.matcher(text);
        int groups = m.groupCount();
        while (m.find()) {
            if (groups == 0) {
                out.add(m.group());
            } else if (groups == 1) {
                out.add(m.group(1) == null ? "" : m.group(1));
            } else {
                List<String> tuple = new ArrayList<>(groups);
                for (int g = 1; g <= groups; g++) {
                    tuple.add(m.group(g) == null ? "" : m.group(g));
                }
                out.add(tuple);
            }
        }
        return out;
    }

    /** {@code re.sub(pattern, "", text)}. */
    public static String removeAll(Pattern pattern, String text) {
        return pattern.matcher(text).replaceAll("");
    }
}
