package dev.evomerge.evolve.llm;

import dev.evomerge.core.io.PythonFloat;
import dev.evomerge.engine.chat.ChatMessage;
import dev.evomerge.evolve.optimizer.Optimizer;
import dev.evomerge.evolve.optimizer.RandomStreams;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * LLM-Evo-Merge's LLM evolution strategy: the first population is uniform on [0, 1]^N; after each generation the LLM
 * sees the top-k candidates of that generation and the best score so far, answers with a mean genome in integer
 * percent, and the next population is clip(mean/100 + sigma * N(0, I), 0, 1), with sigma low after an improvement, else
 * high. Unlike LLM-Evo-Merge it retries transport faults (in the client), sends corrections for unusable replies, falls
 * back to the best genome when retries run out (dropping the unanswered prompt so the history keeps alternating user
 * and assistant), reports every retry, correction and fallback as an {@link LlmExchange} with secrets redacted, keeps
 * only role and content in the history, and draws every number from the run's seed.
 */
public final class LlmEvolutionStrategy implements Optimizer {

    /**
     * Settings that do not change during a run. {@code genomeNote} explains genes that are not a merge recipe's four
     * axes (a data-flow genome's path, evolve/dataflow); null for a merge recipe (and in states saved before it).
     */
    public record Settings(int[] dimensions, int populationSize, long seed, double sigmaLow, double sigmaHigh, int topK,
                           int maxRetries, int historyLimit, boolean elitism, String genomeNote) {
        public Settings {
            dimensions = dimensions.clone();
            if (dimensions.length != 4) {
                throw new IllegalArgumentException("genome dimensions must be 4-D");
            }
        }

        /** A merge recipe's settings (no genome note). */
        public Settings(int[] dimensions, int populationSize, long seed, double sigmaLow, double sigmaHigh, int topK,
                        int maxRetries, int historyLimit, boolean elitism) {
            this(dimensions, populationSize, seed, sigmaLow, sigmaHigh, topK, maxRetries, historyLimit, elitism, null);
        }

        int size() {
            return Arrays.stream(dimensions).reduce(1, (a, b) -> a * b);
        }
    }

    /**
     * Resume state. {@code bestFitness} is null until a candidate has a finite score; {@code pending} is the population
     * the next {@link #ask()} returns, if already drawn; otherwise {@code told} is the last generation with its fitness
     * (null for a failed candidate), from which the next {@link #ask()} asks the LLM. {@code tokens} is what the
     * context budget learnt about the server's token counts (null in states saved before there was one), so that a
     * resumed run does not send one prompt sized by the bare estimate.
     */
    public record State(Settings settings, int generation, Double bestFitness, double[] bestGenome,
                        List<ChatMessage> history, List<double[]> pending, Told told, ContextBudget.Learnt tokens) {
    }

    /** A generation told but not yet turned into the next population (the LLM is asked only when one is needed). */
    public record Told(List<double[]> candidates, List<Double> fitness, boolean improved) {
    }

    private final Settings s;
    private final ChatClient llm;
    private final Consumer<LlmExchange> exchanges;
    private final ContextBudget budget;
    private int generation;
    private double bestFitness = Double.NEGATIVE_INFINITY;
    private double[] bestGenome;
    private final List<ChatMessage> history = new ArrayList<>();
    private List<double[]> pending;
    private Told told;

    public LlmEvolutionStrategy(Settings settings, ChatClient llm, Consumer<LlmExchange> exchanges) {
        this(settings, llm, exchanges, ContextBudget.of(null, llm));
    }

    public LlmEvolutionStrategy(Settings settings, ChatClient llm, Consumer<LlmExchange> exchanges, ContextBudget budget) {
        this.s = settings;
        this.llm = llm;
        this.exchanges = exchanges;
        this.budget = budget;
        history.add(ChatMessage.system(Prompts.system(s.dimensions(), s.genomeNote())));
    }

    public LlmEvolutionStrategy(State state, ChatClient llm, Consumer<LlmExchange> exchanges) {
        this(state, llm, exchanges, ContextBudget.of(null, llm));
    }

    /** Resumes from {@code state}; the budget is not part of the state, so a resumed run may change it. */
    public LlmEvolutionStrategy(State state, ChatClient llm, Consumer<LlmExchange> exchanges, ContextBudget budget) {
        this.s = state.settings();
        this.llm = llm;
        this.exchanges = exchanges;
        this.budget = budget;
        this.generation = state.generation();
        this.bestFitness = state.bestFitness() == null ? Double.NEGATIVE_INFINITY : state.bestFitness();
        this.bestGenome = state.bestGenome() == null ? null : state.bestGenome().clone();
        this.history.addAll(state.history());
        this.pending = state.pending() == null ? null : state.pending().stream().map(double[]::clone).toList();
        this.told = state.told();
        budget.resume(state.tokens());
    }

    @Override
    public String name() {
        return "llm";
    }

    @Override
    public int dimension() {
        return s.size();
    }

    /** The best fitness seen so far (negative infinity before any finite score). */
    public double bestFitness() {
        return bestFitness;
    }

    @Override
    public List<double[]> ask() {
        if (pending == null && told != null) {
            pending = next(told);
            told = null;
        }
        if (pending == null) {
            pending = LlmRequest.uniformPopulation(s.seed(), s.populationSize(), s.size());
        }
        return pending.stream().map(double[]::clone).toList();
    }

    @Override
    public void tell(List<double[]> candidates, double[] fitness) {
        if (candidates.size() != fitness.length) {
            throw new IllegalArgumentException(candidates.size() + " candidates but " + fitness.length + " fitness values");
        }
        double genMax = Arrays.stream(fitness).filter(Double::isFinite).max().orElse(Double.NEGATIVE_INFINITY);
        boolean improved = genMax > bestFitness;
        for (int i = 0; i < fitness.length; i++) {
            if (Double.isFinite(fitness[i]) && fitness[i] > bestFitness) {
                bestFitness = fitness[i];
                bestGenome = candidates.get(i).clone();
            }
        }
        generation++;
        List<Double> f = new ArrayList<>();
        for (double v : fitness) {
            f.add(Double.isFinite(v) ? v : null);
        }
        told = new Told(candidates.stream().map(double[]::clone).toList(), f, improved);
        pending = null;
    }

    /** Asks the LLM for the mean after a told generation and samples the next population around it. */
    private List<double[]> next(Told t) {
        double[] fitness = t.fitness().stream().mapToDouble(v -> v == null ? Double.NEGATIVE_INFINITY : v).toArray();
        double[] mean = proposeMean(t.candidates(), fitness);
        double sigma = t.improved() ? s.sigmaLow() : s.sigmaHigh();
        SplittableRandom rng = RandomStreams.forGeneration(s.seed(), "llm-sample", generation);
        List<double[]> next = new ArrayList<>();
        for (int k = 0; k < s.populationSize(); k++) {
            double[] x = new double[mean.length];
            for (int i = 0; i < x.length; i++) {
                x[i] = Math.clamp(mean[i] + sigma * rng.nextGaussian(), 0.0, 1.0);
            }
            next.add(x);
        }
        if (s.elitism() && bestGenome != null) {
            next.set(0, bestGenome.clone());
        }
        return next;
    }

    /** Asks the LLM for the next mean (in [0, 1]); falls back to the best genome when it cannot give a usable one. */
    private double[] proposeMean(List<double[]> candidates, double[] fitness) {
        List<Prompts.Shown> shown = topK(candidates, fitness);
        if (shown.isEmpty()) {
            emit(new LlmExchange(generation, 0, List.of(), null, null, 0,
                    "every candidate of the generation failed; the LLM was not asked; using the best genome so far", true));
            return fallbackMean();
        }
        history.add(ChatMessage.user(Prompts.user(generation, bestFitness, shown, s.dimensions())));
        String lastCause = "no attempt made";
        int attempts = 0;
        int tries = s.maxRetries();
        boolean trimmedHarder = false;
        for (int attempt = 1; attempt <= tries; attempt++) {
            attempts = attempt;
            List<ChatMessage> sent = fit(attempt);
            LlmRequest.Answer done;
            try {
                done = LlmRequest.send(llm, sent, generation, attempt, this::emit);
            } catch (ChatException e) {
                lastCause = e.getMessage();
                if (e.isContextExceeded() && !trimmedHarder) {
                    // the prompt exceeds the model's real context: trim harder and ask once more
                    trimmedHarder = true;
                    budget.harder(sent);
                    tries = Math.max(tries, attempt + 1);
                    continue;
                }
                break; // the client already retried what can be retried; asking again would only repeat its waits
            }
            long ms = done.millis();
            String reply = done.text();
            budget.learn(sent, done.usage());
            history.add(ChatMessage.assistant(llm.redact(reply))); // the history is stored with the optimizer state
            try {
                MeanGenomeReply parsed = MeanGenomeReply.parse(reply, s.dimensions());
                emit(new LlmExchange(generation, attempt, sent, reply, parsed.thought(), ms, null, false).withUsage(done.usage()));
                double[] mean = parsed.meanPercent();
                for (int i = 0; i < mean.length; i++) {
                    mean[i] /= 100.0;
                }
                return mean;
            } catch (MeanGenomeReply.Invalid bad) {
                emit(new LlmExchange(generation, attempt, sent, reply, null, ms, bad.getMessage(), false).withUsage(done.usage()));
                // the parse error may quote the reply; the history is stored with the optimizer state
                history.add(ChatMessage.user(Prompts.correction(llm.redact(bad.getMessage()), s.dimensions())));
                lastCause = "unusable reply: " + bad.getMessage();
            }
        }
        dropUnanswered();
        emit(new LlmExchange(generation, attempts + 1, List.of(), null, null, 0, "no usable mean genome after " + attempts
                + (attempts == 1 ? " attempt" : " attempts") + "; using the best genome so far (last: " + lastCause + ")", true));
        return fallbackMean();
    }

    /**
     * Removes the user messages no reply answered, so that the history keeps alternating user and assistant turns
     * (some chat templates and servers reject two user messages in a row); the next prompt restates the state anyway.
     */
    private void dropUnanswered() {
        while (history.size() > 1 && history.getLast().role().equals("user")) {
            history.removeLast();
        }
    }

    private void emit(LlmExchange x) {
        exchanges.accept(x.redacted(llm::redact));
    }

    private double[] fallbackMean() {
        if (bestGenome != null) {
            return bestGenome.clone();
        }
        double[] half = new double[s.size()];
        Arrays.fill(half, 0.5);
        return half;
    }

    private List<Prompts.Shown> topK(List<double[]> candidates, double[] fitness) {
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < fitness.length; i++) {
            if (Double.isFinite(fitness[i])) {
                idx.add(i);
            }
        }
        idx.sort(Comparator.comparingDouble((Integer i) -> fitness[i]).reversed());
        List<Prompts.Shown> out = new ArrayList<>();
        for (int i : idx.subList(0, Math.min(s.topK(), idx.size()))) {
            double[] x = candidates.get(i);
            int[] pct = new int[x.length];
            for (int j = 0; j < x.length; j++) {
                pct[j] = (int) Math.round(x[j] * 100);
            }
            out.add(new Prompts.Shown(i + 1, fitness[i], pct));
        }
        return out;
    }

    /**
     * The messages to send: {@link #bounded()}, trimmed oldest-first until it fits the context budget. A trimmed
     * conversation keeps the system prompt and the latest generations, starting at a user message, and that first
     * message restates the best genome so far (its generation may be gone). Messages trimmed away are dropped from
     * the history too (the budget only tightens, so they would never be sent again), which also keeps the stored
     * optimizer state from growing with every generation. Each trim is recorded as a {@link LlmExchange#TRIM}.
     */
    private List<ChatMessage> fit(int attempt) {
        List<ChatMessage> all = bounded();
        int limit = budget.promptLimit(s.size());
        int before = budget.tokens(all);
        if (before <= limit) {
            return all.size() > 1 && all.get(1).content().startsWith(NOTE) ? trimmed(all, 1) : all; // a note of an earlier trim: updated
        }
        List<ChatMessage> out = null;
        int from = -1;
        for (int i = 2; i < all.size(); i++) {
            if (all.get(i).role().equals("user")) {
                out = trimmed(all, i);
                from = i;
                if (budget.tokens(out) <= limit) {
                    break;
                }
            }
        }
        if (out == null) {
            return all; // nothing left to drop but the current prompt; the server says whether it fits
        }
        int fromInHistory = history.size() - (all.size() - from);
        history.subList(1, fromInHistory).clear();
        history.set(1, out.get(1)); // the note stays with the first kept message, to be updated on each request
        emit(new LlmExchange(generation, attempt, List.of(), null, null, 0, String.format(java.util.Locale.ROOT,
                "conversation trimmed to fit --llm-max-context-tokens %d: dropped the %d oldest messages, sending %d"
                        + " (~%d prompt tokens instead of ~%d; limit %d, leaving room for the reply)%s",
                budget.maxTokens(), from - 1, out.size(), budget.tokens(out), before, limit,
                budget.tokens(out) > limit ? "; still over the limit" : ""), false, LlmExchange.TRIM, null));
        return out;
    }

    /** How a trimmed conversation's first message starts. */
    private static final String NOTE = "(Earlier generations were left out to fit the context.";

    /**
     * The system prompt, then {@code all} from {@code from} (a user message) with the best genome so far restated in
     * front of it (replacing the note of an earlier trim).
     */
    private List<ChatMessage> trimmed(List<ChatMessage> all, int from) {
        List<ChatMessage> out = new ArrayList<>();
        out.add(all.get(0));
        String note = NOTE + ")";
        if (bestGenome != null) {
            int[] pct = new int[bestGenome.length];
            for (int j = 0; j < pct.length; j++) {
                pct[j] = (int) Math.round(bestGenome[j] * 100);
            }
            note = NOTE + " The best genome so far, with fitness " + PythonFloat.repr(bestFitness) + ": "
                    + PythonRepr.ofNestedInts(pct, s.dimensions()) + ")";
        }
        String content = all.get(from).content();
        if (content.startsWith(NOTE)) {
            content = content.substring(content.indexOf("\n\n") + 2);
        }
        out.add(ChatMessage.user(note + "\n\n" + content));
        out.addAll(all.subList(from + 1, all.size()));
        return out;
    }

    /** The system prompt plus the most recent messages, starting at a user message, within the history limit. */
    private List<ChatMessage> bounded() {
        if (s.historyLimit() <= 0 || history.size() - 1 <= s.historyLimit()) {
            return List.copyOf(history);
        }
        int from = history.size() - s.historyLimit();
        while (from < history.size() && !history.get(from).role().equals("user")) {
            from++;
        }
        List<ChatMessage> out = new ArrayList<>();
        out.add(history.get(0));
        out.addAll(history.subList(from, history.size()));
        return out;
    }

    @Override
    public State state() {
        return new State(s, generation, Double.isFinite(bestFitness) ? bestFitness : null,
                bestGenome == null ? null : bestGenome.clone(), List.copyOf(history),
                pending == null ? null : pending.stream().map(double[]::clone).toList(), told, budget.learnt());
    }
}
