package dev.evomerge.engine.chat;

import com.hubspot.jinjava.objects.SafeString;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * Python's {@code str} methods on template strings ({@code content.strip()}, {@code role.startswith('sys')}, ...),
 * which chat templates written for Jinja2 call but Java strings do not have. Anything else falls through to the
 * template engine's own resolvers.
 */
final class PythonStringMethods extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        String s = base instanceof String str ? str : base instanceof SafeString safe ? safe.getValue() : null;
        if (s == null || method == null) {
            return null;
        }
        Object[] p = params == null ? new Object[0] : params;
        Object result = call(s, method.toString(), p);
        if (result != NOT_HANDLED) {
            context.setPropertyResolved(true);
            return result;
        }
        return null;
    }

    private static final Object NOT_HANDLED = new Object();

    private static Object call(String s, String name, Object[] p) {
        return switch (name) {
            case "strip" -> strip(s, charsArg(p), true, true);
            case "lstrip" -> strip(s, charsArg(p), true, false);
            case "rstrip" -> strip(s, charsArg(p), false, true);
            case "startswith" -> p.length == 1 ? anyMatch(p[0], s::startsWith) : NOT_HANDLED;
            case "endswith" -> p.length == 1 ? anyMatch(p[0], s::endsWith) : NOT_HANDLED;
            case "split" -> split(s, p);
            case "splitlines" -> p.length == 0 ? new ArrayList<>(s.lines().toList()) : NOT_HANDLED;
            case "upper" -> p.length == 0 ? s.toUpperCase(Locale.ROOT) : NOT_HANDLED;
            case "lower" -> p.length == 0 ? s.toLowerCase(Locale.ROOT) : NOT_HANDLED;
            case "title" -> p.length == 0 ? title(s) : NOT_HANDLED;
            case "capitalize" -> p.length == 0 ? capitalize(s) : NOT_HANDLED;
            case "replace" -> replace(s, p);
            case "find" -> p.length == 1 ? (Object) s.indexOf(String.valueOf(p[0])) : NOT_HANDLED;
            case "count" -> p.length == 1 ? (Object) count(s, String.valueOf(p[0])) : NOT_HANDLED;
            case "join" -> p.length == 1 ? join(s, p[0]) : NOT_HANDLED;
            case "removeprefix" -> p.length == 1 && s.startsWith(String.valueOf(p[0]))
                    ? s.substring(String.valueOf(p[0]).length()) : p.length == 1 ? s : NOT_HANDLED;
            case "removesuffix" -> p.length == 1 && s.endsWith(String.valueOf(p[0]))
                    ? s.substring(0, s.length() - String.valueOf(p[0]).length()) : p.length == 1 ? s : NOT_HANDLED;
            case "isdigit" -> p.length == 0 ? (Object) (!s.isEmpty() && s.chars().allMatch(Character::isDigit))
                    : NOT_HANDLED;
            case "isspace" -> p.length == 0 ? (Object) (!s.isEmpty() && s.chars().allMatch(PythonStringMethods::isSpace))
                    : NOT_HANDLED;
            case "isalpha" -> p.length == 0 ? (Object) (!s.isEmpty() && s.codePoints().allMatch(Character::isLetter))
                    : NOT_HANDLED;
            default -> NOT_HANDLED;
        };
    }

    /** Python's str.isspace characters. */
    static boolean isSpace(int c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == 0x85;
    }

    private static String charsArg(Object[] p) {
        return p.length == 0 || p[0] == null ? null : String.valueOf(p[0]);
    }

    private static String strip(String s, String chars, boolean left, boolean right) {
        int start = 0;
        int end = s.length();
        while (left && start < end && stripped(s.charAt(start), chars)) {
            start++;
        }
        while (right && end > start && stripped(s.charAt(end - 1), chars)) {
            end--;
        }
        return s.substring(start, end);
    }

    private static boolean stripped(char c, String chars) {
        return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
    }

    private static Object anyMatch(Object arg, java.util.function.Predicate<String> test) {
        if (arg instanceof Collection<?> options) {
            return options.stream().anyMatch(o -> test.test(String.valueOf(o)));
        }
        if (arg instanceof Object[] options) {
            return java.util.Arrays.stream(options).anyMatch(o -> test.test(String.valueOf(o)));
        }
        return test.test(String.valueOf(arg));
    }

    private static Object split(String s, Object[] p) {
        String sep = p.length == 0 || p[0] == null ? null : String.valueOf(p[0]);
        int max = p.length > 1 && p[1] instanceof Number n ? n.intValue() : -1;
        List<String> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && isSpace(s.charAt(i))) {
                    i++;
                }
                if (i >= n) {
                    break;
                }
                if (max >= 0 && out.size() == max) {
                    // Python keeps the remainder, trailing whitespace stripped
                    out.add(strip(s.substring(i), null, false, true));
                    break;
                }
                int j = i;
                while (j < n && !isSpace(s.charAt(j))) {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            }
            return out;
        }
        if (sep.isEmpty()) {
            return NOT_HANDLED; // Python raises "empty separator"; let the engine report it
        }
        int from = 0;
        while (max < 0 || out.size() < max) {
            int at = s.indexOf(sep, from);
            if (at < 0) {
                break;
            }
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    private static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean prevCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            out.append(prevCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            prevCased = Character.isLetter(c);
        }
        return out.toString();
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : Character.toUpperCase(s.charAt(0)) + s.substring(1).toLowerCase(Locale.ROOT);
    }

    private static Object replace(String s, Object[] p) {
        if (p.length < 2) {
            return NOT_HANDLED;
        }
        String old = String.valueOf(p[0]);
        String rep = String.valueOf(p[1]);
        int count = p.length > 2 && p[2] instanceof Number n ? n.intValue() : -1;
        if (count < 0) {
            return s.replace(old, rep);
        }
        StringBuilder out = new StringBuilder();
        int from = 0;
        for (int done = 0; done < count; done++) {
            int at = s.indexOf(old, from);
            if (at < 0) {
                break;
            }
            out.append(s, from, at).append(rep);
            from = at + old.length();
            if (old.isEmpty()) {
                if (from >= s.length()) {
                    break;
                }
                out.append(s.charAt(from));
                from++;
            }
        }
        return out.append(s.substring(Math.min(from, s.length()))).toString();
    }

    private static int count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1;
        }
        int n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    private static Object join(String sep, Object items) {
        List<String> parts = new ArrayList<>();
        if (items instanceof Iterable<?> it) {
            it.forEach(o -> parts.add(String.valueOf(o)));
        } else if (items instanceof Object[] arr) {
            for (Object o : arr) {
                parts.add(String.valueOf(o));
            }
        } else {
            return NOT_HANDLED;
        }
        return String.join(sep, parts);
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        // read-only: never resolves a property
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
