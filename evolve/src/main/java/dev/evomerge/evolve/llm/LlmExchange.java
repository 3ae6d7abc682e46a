package dev.evomerge.evolve.llm;

import dev.evomerge.engine.chat.ChatMessage;

import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * One event of the LLM strategy, for the run store: a request and what came of it, or a fallback. {@code kind} is one
 * of {@link #REPLY} (a usable reply), {@link #CORRECTION} (an unusable reply, answered with a correction),
 * {@link #RETRY} (a transient fault the client retries after a delay), {@link #ERROR} (a request that failed for
 * good) or {@link #FALLBACK} (the generation's mean fell back to the best genome; no request). {@code error} says
 * what went wrong (null for a usable reply); {@code httpStatus} is the server's status where there was one.
 * {@link #TRIM} records that the conversation was trimmed to fit the context budget before a request (no request;
 * {@code error} says what was dropped). {@code usage} is the tokens a request that got a reply cost (null otherwise).
 */
public record LlmExchange(int generation, int attempt, List<ChatMessage> sent, String reply, String thought,
                          long latencyMillis, String error, boolean fallback, String kind, Integer httpStatus,
                          TokenUsage usage) {

    public static final String REPLY = "reply";
    public static final String CORRECTION = "correction";
    public static final String RETRY = "retry";
    public static final String ERROR = "error";
    public static final String FALLBACK = "fallback";
    public static final String TRIM = "trim";

    public LlmExchange(int generation, int attempt, List<ChatMessage> sent, String reply, String thought,
                       long latencyMillis, String error, boolean fallback, String kind, Integer httpStatus) {
        this(generation, attempt, sent, reply, thought, latencyMillis, error, fallback, kind, httpStatus, null);
    }

    /** An exchange whose kind follows from its fields (rows written before kinds were stored read the same way). */
    public LlmExchange(int generation, int attempt, List<ChatMessage> sent, String reply, String thought,
                       long latencyMillis, String error, boolean fallback) {
        this(generation, attempt, sent, reply, thought, latencyMillis, error, fallback,
                kindOf(reply, error, fallback), null);
    }

    static String kindOf(String reply, String error, boolean fallback) {
        if (fallback) {
            return FALLBACK;
        }
        if (error == null) {
            return REPLY;
        }
        return reply != null ? CORRECTION : ERROR;
    }

    /** This exchange with the tokens its request cost. */
    public LlmExchange withUsage(TokenUsage u) {
        return new LlmExchange(generation, attempt, sent, reply, thought, latencyMillis, error, fallback, kind, httpStatus, u);
    }

    /** This exchange with {@code redact} applied to every text that came from or names the server. */
    public LlmExchange redacted(UnaryOperator<String> redact) {
        return new LlmExchange(generation, attempt, sent, apply(redact, reply), apply(redact, thought), latencyMillis,
                apply(redact, error), fallback, kind, httpStatus, usage);
    }

    private static String apply(UnaryOperator<String> f, String s) {
        return s == null ? null : f.apply(s);
    }

    /** One line for the user about anything but a usable reply (null for a usable reply). */
    public String notice() {
        return switch (kind) {
            case REPLY -> null;
            case CORRECTION -> String.format(Locale.ROOT, "generation %d, attempt %d: unusable reply (%s); sent a correction",
                    generation, attempt, error);
            case TRIM -> String.format(Locale.ROOT, "generation %d: %s", generation, error);
            case RETRY, ERROR -> String.format(Locale.ROOT, "generation %d, attempt %d: %s", generation, attempt, error);
            default -> String.format(Locale.ROOT, "generation %d: %s", generation, error);
        };
    }

    /**
     * How many requests, retries, corrections, failed requests and fallbacks a list of exchanges holds, and the tokens
     * the requests cost; {@code estimatedTokens} is true when any count is an estimate rather than the server's.
     */
    public record Counts(int requests, int retries, int corrections, int errors, int fallbacks, long promptTokens,
                         long completionTokens, boolean estimatedTokens) {

        public Counts(int requests, int retries, int corrections, int errors, int fallbacks) {
            this(requests, retries, corrections, errors, fallbacks, 0, 0, false);
        }

        /** "requests 12, retries 10, corrections 0, failed requests 2, fallbacks 2". */
        public String text() {
            return "requests " + requests + ", retries " + retries + ", corrections " + corrections + ", failed requests "
                    + errors + ", fallbacks " + fallbacks;
        }

        /** "tokens 5300 in + 400 out" ("~" before estimated counts). */
        public String tokensText() {
            String approx = estimatedTokens ? "~" : "";
            return "tokens " + approx + promptTokens + " in + " + approx + completionTokens + " out";
        }

        /**
         * The counts as summary.json and the dashboard show them: requests, retries, corrections, errors, fallbacks,
         * prompt_tokens, completion_tokens, tokens_estimated, and with a price, price_per_mtok and estimated_cost.
         */
        public void writeTo(com.fasterxml.jackson.databind.node.ObjectNode n, LlmPrice price) {
            n.put("requests", requests).put("retries", retries).put("corrections", corrections).put("errors", errors)
                    .put("fallbacks", fallbacks).put("prompt_tokens", promptTokens).put("completion_tokens", completionTokens)
                    .put("tokens_estimated", estimatedTokens);
            if (price != null) {
                n.putObject("price_per_mtok").put("in", price.inPerMtok()).put("out", price.outPerMtok());
                n.put("estimated_cost", price.cost(promptTokens, completionTokens));
            }
        }

        public static Counts of(List<LlmExchange> exchanges) {
            int requests = 0;
            int retries = 0;
            int corrections = 0;
            int errors = 0;
            int fallbacks = 0;
            long in = 0;
            long out = 0;
            boolean estimated = false;
            for (LlmExchange x : exchanges) {
                switch (x.kind()) {
                    case RETRY -> retries++;
                    case CORRECTION -> corrections++;
                    case ERROR -> errors++;
                    case FALLBACK -> fallbacks++;
                    default -> { }
                }
                if (!FALLBACK.equals(x.kind()) && !TRIM.equals(x.kind())) {
                    requests++; // every other row is one request sent to the LLM
                }
                if (x.usage() != null) {
                    in += x.usage().promptTokens();
                    out += x.usage().completionTokens();
                    estimated |= x.usage().estimated();
                }
            }
            return new Counts(requests, retries, corrections, errors, fallbacks, in, out, estimated);
        }
    }
}
