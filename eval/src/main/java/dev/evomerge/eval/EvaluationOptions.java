package dev.evomerge.eval;

import dev.evomerge.core.EvomergeException;

import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * How to run an evaluation.
 *
 * @param numFewshot        overrides every task's num_fewshot (the CLI's --num-fewshot)
 * @param limit             evaluate only the first N documents of each task, or a fraction (0 < x < 1) of them
 * @param bootstrapIters    resamples for bootstrap standard errors (lm-eval's default 100000; 0 = no stderr)
 * @param fewshotSeed       the few-shot sampler's seed (lm-eval's default 1234)
 * @param applyChatTemplate render prompts with the model's chat template
 * @param logSamples        keep per-document records for --log-samples
 * @param shuffleSeed       when present, each task's documents are evaluated in a random order drawn from this seed
 *                          (so {@code limit} takes a random subset, the same one for every model evaluated with it)
 */
public record EvaluationOptions(OptionalInt numFewshot, OptionalDouble limit, int bootstrapIters, long fewshotSeed,
                                boolean applyChatTemplate, boolean logSamples, OptionalLong shuffleSeed) {

    public static final int DEFAULT_BOOTSTRAP_ITERS = 100_000;
    public static final long DEFAULT_FEWSHOT_SEED = 1234;

    /** Documents in file order (lm-eval's behaviour). */
    public EvaluationOptions(OptionalInt numFewshot, OptionalDouble limit, int bootstrapIters, long fewshotSeed,
                             boolean applyChatTemplate, boolean logSamples) {
        this(numFewshot, limit, bootstrapIters, fewshotSeed, applyChatTemplate, logSamples, OptionalLong.empty());
    }

    public EvaluationOptions {
        if (numFewshot.isPresent() && numFewshot.getAsInt() < 0) {
            throw EvomergeException.usage("--num-fewshot must be 0 or more, got " + numFewshot.getAsInt());
        }
        if (limit.isPresent() && !(limit.getAsDouble() > 0)) {
            throw EvomergeException.usage("--limit must be positive, got " + limit.getAsDouble());
        }
        if (limit.isPresent() && limit.getAsDouble() >= 1 && limit.getAsDouble() != Math.rint(limit.getAsDouble())) {
            throw EvomergeException.usage("--limit must be a whole number of documents or a fraction below 1, got "
                    + limit.getAsDouble());
        }
        if (bootstrapIters < 0) {
            throw EvomergeException.usage("bootstrap iterations must be 0 or more, got " + bootstrapIters);
        }
    }

    /** lm-eval's defaults: each task's own num_fewshot, all documents, 100000 bootstrap resamples, seed 1234. */
    public static EvaluationOptions defaults() {
        return new EvaluationOptions(OptionalInt.empty(), OptionalDouble.empty(), DEFAULT_BOOTSTRAP_ITERS,
                DEFAULT_FEWSHOT_SEED, false, false);
    }

    public EvaluationOptions withNumFewshot(int n) {
        return new EvaluationOptions(OptionalInt.of(n), limit, bootstrapIters, fewshotSeed, applyChatTemplate,
                logSamples, shuffleSeed);
    }

    public EvaluationOptions withLimit(double l) {
        return new EvaluationOptions(numFewshot, OptionalDouble.of(l), bootstrapIters, fewshotSeed, applyChatTemplate,
                logSamples, shuffleSeed);
    }

    public EvaluationOptions withBootstrapIters(int n) {
        return new EvaluationOptions(numFewshot, limit, n, fewshotSeed, applyChatTemplate, logSamples, shuffleSeed);
    }

    public EvaluationOptions withLogSamples(boolean on) {
        return new EvaluationOptions(numFewshot, limit, bootstrapIters, fewshotSeed, applyChatTemplate, on, shuffleSeed);
    }

    public EvaluationOptions withChatTemplate(boolean on) {
        return new EvaluationOptions(numFewshot, limit, bootstrapIters, fewshotSeed, on, logSamples, shuffleSeed);
    }

    /** Evaluates each task's documents in a random order drawn from {@code seed} (with a limit: a random subset). */
    public EvaluationOptions withShuffleSeed(long seed) {
        return new EvaluationOptions(numFewshot, limit, bootstrapIters, fewshotSeed, applyChatTemplate, logSamples,
                OptionalLong.of(seed));
    }

    /** How many of {@code total} documents to evaluate (lm-eval: ceil(total * limit) for a fraction). */
    public int effectiveCount(int total) {
        if (limit.isEmpty()) {
            return total;
        }
        double l = limit.getAsDouble();
        int n = l < 1 ? (int) Math.ceil(total * l) : (int) l;
        return Math.min(total, n);
    }
}
