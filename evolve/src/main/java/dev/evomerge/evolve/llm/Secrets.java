package dev.evomerge.evolve.llm;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The secrets of an LLM connection (the API key, credentials in the base URL, secret-looking query parameters) and
 * their masking in everything stored or shown: llm_exchanges rows, the stored options, stderr lines, error messages.
 * A server may echo any of them back (some echo the Authorization header in their error body).
 */
public final class Secrets {

    /** What a secret is replaced with. */
    public static final String MASK = "***";

    /** scheme:// then user info up to '@' (group 1: the scheme part, group 2: the user info). */
    static final Pattern USER_INFO = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]*://)([^/?#@]*)@");
    private static final Pattern QUERY_PARAM = Pattern.compile("([?&])([^=&#]+)=([^&#]*)");
    private static final Pattern SECRET_NAME = Pattern.compile(
            "(?i).*(key|token|secret|password|passwd|pwd|sig|signature|auth|credential).*");
    /** A bearer token we were not told about (e.g. added by a proxy): "Bearer" and at least 8 token characters. */
    private static final Pattern BEARER = Pattern.compile("(?i)\\b(bearer)(\\s+)[A-Za-z0-9._~+/=-]{8,}");
    /** Secrets shorter than this are not masked as literals (masking "a" would mangle every text). */
    private static final int MIN_LITERAL = 4;

    private final List<String> literals;

    private Secrets(List<String> literals) {
        this.literals = List.copyOf(literals);
    }

    /** The secrets of a connection with {@code apiKey} (may be null) to {@code baseUrl} (may be null). */
    public static Secrets of(String apiKey, String baseUrl) {
        List<String> l = new ArrayList<>();
        add(l, apiKey);
        if (baseUrl != null) {
            Matcher u = USER_INFO.matcher(baseUrl);
            if (u.find()) {
                String info = u.group(2);
                add(l, info);
                // as sent in the Basic Authorization header, should a server echo it
                add(l, Base64.getEncoder().encodeToString(URLDecoder.decode(info, StandardCharsets.UTF_8)
                        .getBytes(StandardCharsets.UTF_8)));
                int colon = info.indexOf(':');
                if (colon >= 0) {
                    add(l, info.substring(colon + 1));
                }
            }
            Matcher q = QUERY_PARAM.matcher(baseUrl);
            while (q.find()) {
                if (SECRET_NAME.matcher(q.group(2)).matches()) {
                    add(l, q.group(3));
                }
            }
        }
        l.sort((a, b) -> b.length() - a.length()); // longest first, so a secret containing another is masked whole
        return new Secrets(l);
    }

    private static void add(List<String> l, String s) {
        if (s == null || s.strip().length() < MIN_LITERAL) {
            return;
        }
        l.add(s.strip());
        String decoded = URLDecoder.decode(s.strip(), StandardCharsets.UTF_8);
        if (!decoded.equals(s.strip()) && decoded.length() >= MIN_LITERAL) {
            l.add(decoded);
        }
    }

    /** {@code text} with every known secret, and any other bearer token, masked. */
    public String redact(String text) {
        if (text == null) {
            return null;
        }
        String t = text;
        for (String s : literals) {
            t = t.replace(s, MASK);
        }
        return BEARER.matcher(t).replaceAll("$1$2" + MASK);
    }

    /** A URL with its user info and the values of secret-looking query parameters masked (others, such as api-version, kept). */
    public static String redactUrl(String url) {
        if (url == null) {
            return null;
        }
        String t = USER_INFO.matcher(url).replaceFirst("$1" + MASK + "@");
        Matcher q = QUERY_PARAM.matcher(t);
        StringBuilder out = new StringBuilder();
        while (q.find()) {
            String value = SECRET_NAME.matcher(q.group(2)).matches() ? MASK : q.group(3);
            q.appendReplacement(out, Matcher.quoteReplacement(q.group(1) + q.group(2) + "=" + value));
        }
        q.appendTail(out);
        return out.toString();
    }
}
