package dev.evomerge.evolve.llm;

import dev.evomerge.engine.chat.ChatMessage;
import dev.evomerge.evolve.optimizer.RandomStreams;
import dev.evomerge.evolve.pareto.FrontArchive;
import dev.evomerge.evolve.pareto.FrontMember;
import dev.evomerge.evolve.pareto.MultiObjectiveOptimizer;
import dev.evomerge.evolve.pareto.ParetoFront;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * The LLM strategy of a run with several objectives. The first population is the single-objective strategy's (uniform
 * on [0, 1]^N, same stream); after each generation the LLM is shown the non-dominated set of every candidate so far,
 * with each member's score on every objective, and asked for {@code means} mean genomes that extend the front where
 * it is sparse. The population is split among the means in equal shares (the first ones get one more when it does not
 * divide) and each share is clip(mean/100 + sigma * N(0, I), 0, 1), sigma low after a generation that added to the
 * front, else high.
 *
 * <p>Replies are validated as {@link LlmEvolutionStrategy}'s: an unusable one gets a correction and another attempt, up
 * to {@code maxRetries}; when none is usable the means fall back to the front's most isolated members (largest
 * crowding distance), recorded as a fallback. Every request, correction, retry and fallback is an {@link LlmExchange}
 * with secrets redacted. Each prompt restates the whole front (at most {@link #MAX_SHOWN} members), so the
 * conversation is the system prompt and this generation's prompt only; nothing grows from one generation to the next.
 */
public final class LlmParetoStrategy implements MultiObjectiveOptimizer {

    /** The most front members one prompt shows; a larger front shows its most isolated ones. */
    public static final int MAX_SHOWN = 24;

    /**
     * Settings that do not change during a run.
     *
     * @param objectives the objectives' names as the prompt shows them
     * @param minimised  which of them are costs (told negated, shown as the user reads them)
     */
    public record Settings(int[] dimensions, int populationSize, long seed, double sigmaLow, double sigmaHigh,
                           int maxRetries, int means, List<String> objectives, boolean[] minimised) {
        public Settings {
            dimensions = dimensions.clone();
            minimised = minimised.clone();
            objectives = List.copyOf(objectives);
            if (dimensions.length != 4) {
                throw new IllegalArgumentException("genome dimensions must be 4-D");
            }
            if (means < 1 || means > populationSize) {
                throw new IllegalArgumentException("the number of mean genomes must lie in 1.." + populationSize + ": " + means);
            }
            if (objectives.size() != minimised.length || objectives.size() < 1) {
                throw new IllegalArgumentException("one direction per objective is needed");
            }
        }

        int size() {
            return Arrays.stream(dimensions).reduce(1, (a, b) -> a * b);
        }
    }

    /**
     * Resume state: the front so far; {@code pending} is the population the next {@link #ask()} returns, if drawn;
     * otherwise {@code improved} (whether the last told generation added to the front) with {@code told} true means
     * the next {@link #ask()} asks the LLM.
     */
    public record State(Settings settings, int generation, FrontArchive.State front, List<double[]> pending,
                        boolean told, boolean improved) {
    }

    private final Settings s;
    private final ChatClient llm;
    private final Consumer<LlmExchange> exchanges;
    private final FrontArchive front;
    private int generation;
    private List<double[]> pending;
    private boolean told;
    private boolean improved;

    public LlmParetoStrategy(Settings settings, ChatClient llm, Consumer<LlmExchange> exchanges) {
        this(new State(settings, 0, null, null, false, false), llm, exchanges);
    }

    public LlmParetoStrategy(State state, ChatClient llm, Consumer<LlmExchange> exchanges) {
        this.s = state.settings();
        this.llm = llm;
        this.exchanges = exchanges;
        this.front = new FrontArchive(state.front());
        this.generation = state.generation();
        this.pending = state.pending() == null ? null : state.pending().stream().map(double[]::clone).toList();
        this.told = state.told();
        this.improved = state.improved();
    }

    @Override
    public String name() {
        return "llm";
    }

    @Override
    public int dimension() {
        return s.size();
    }

    @Override
    public int objectiveCount() {
        return s.objectives().size();
    }

    @Override
    public List<double[]> ask() {
        if (pending == null && told) {
            pending = sample(proposeMeans(), improved ? s.sigmaLow() : s.sigmaHigh());
            told = false;
        }
        if (pending == null) {
            pending = LlmRequest.uniformPopulation(s.seed(), s.populationSize(), s.size());
        }
        return pending.stream().map(double[]::clone).toList();
    }

    @Override
    public void tell(List<double[]> candidates, double[][] objectives) {
        if (candidates.size() != objectives.length) {
            throw new IllegalArgumentException(candidates.size() + " candidates but " + objectives.length + " objective vectors");
        }
        improved = front.addAll(candidates, objectives) > 0;
        generation++;
        told = true;
        pending = null;
    }

    @Override
    public State state() {
        return new State(s, generation, front.state(), pending == null ? null : pending.stream().map(double[]::clone).toList(),
                told, improved);
    }

    @Override
    public List<FrontMember> front() {
        return front.members();
    }

    /** Each mean's share of the population, sampled around it. */
    private List<double[]> sample(List<double[]> means, double sigma) {
        SplittableRandom rng = RandomStreams.forGeneration(s.seed(), "llm-sample", generation);
        List<double[]> next = new ArrayList<>();
        int k = means.size();
        for (int m = 0; m < k; m++) {
            int share = s.populationSize() / k + (m < s.populationSize() % k ? 1 : 0);
            double[] mean = means.get(m);
            for (int c = 0; c < share; c++) {
                double[] x = new double[mean.length];
                for (int i = 0; i < x.length; i++) {
                    x[i] = Math.clamp(mean[i] + sigma * rng.nextGaussian(), 0.0, 1.0);
                }
                next.add(x);
            }
        }
        return next;
    }

    /** Asks the LLM for the means (in [0, 1]); falls back to the front's most isolated members. */
    private List<double[]> proposeMeans() {
        List<FrontMember> members = isolatedFirst(front.members());
        if (members.isEmpty()) {
            emit(new LlmExchange(generation, 0, List.of(), null, null, 0,
                    "no candidate has scored yet; the LLM was not asked; sampling around the centre", true));
            return fallbackMeans(members);
        }
        List<FrontMember> shown = new ArrayList<>(members.subList(0, Math.min(MAX_SHOWN, members.size())));
        shown.sort(Comparator.comparingDouble((FrontMember m) -> -m.objectives()[0]));
        List<ChatMessage> conversation = new ArrayList<>();
        conversation.add(ChatMessage.system(ParetoPrompts.system(s.dimensions(), s.objectives(), s.minimised(), s.means())));
        conversation.add(ChatMessage.user(ParetoPrompts.user(generation, s.objectives(), shown.stream().map(this::shown).toList(),
                members.size(), s.means(), s.dimensions())));
        String lastCause = "no attempt made";
        int attempts = 0;
        for (int attempt = 1; attempt <= s.maxRetries(); attempt++) {
            attempts = attempt;
            List<ChatMessage> sent = List.copyOf(conversation);
            LlmRequest.Answer done;
            try {
                done = LlmRequest.send(llm, sent, generation, attempt, this::emit);
            } catch (ChatException e) {
                lastCause = e.getMessage();
                break; // the client already retried what can be retried
            }
            long ms = done.millis();
            String reply = done.text();
            conversation.add(ChatMessage.assistant(llm.redact(reply)));
            try {
                MeanGenomesReply parsed = MeanGenomesReply.parse(reply, s.dimensions(), s.means());
                emit(new LlmExchange(generation, attempt, sent, reply, parsed.thought(), ms, null, false).withUsage(done.usage()));
                return parsed.meansPercent().stream().map(p -> Arrays.stream(p).map(v -> v / 100.0).toArray()).toList();
            } catch (MeanGenomeReply.Invalid bad) {
                emit(new LlmExchange(generation, attempt, sent, reply, null, ms, bad.getMessage(), false).withUsage(done.usage()));
                conversation.add(ChatMessage.user(ParetoPrompts.correction(llm.redact(bad.getMessage()), s.means(), s.dimensions())));
                lastCause = "unusable reply: " + bad.getMessage();
            }
        }
        emit(new LlmExchange(generation, attempts + 1, List.of(), null, null, 0, "no usable mean genomes after " + attempts
                + (attempts == 1 ? " attempt" : " attempts") + "; using the front's most isolated members (last: "
                + lastCause + ")", true));
        return fallbackMeans(members);
    }

    /** The front's members, largest crowding distance first (its ends, then the members with the widest gaps). */
    private static List<FrontMember> isolatedFirst(List<FrontMember> members) {
        double[][] v = members.stream().map(FrontMember::objectives).toArray(double[][]::new);
        double[] distance = ParetoFront.crowdingDistance(v, IntStream.range(0, v.length).toArray());
        return IntStream.range(0, members.size()).boxed()
                .sorted(Comparator.comparingDouble((Integer i) -> -distance[i]).thenComparingInt(i -> i))
                .map(members::get).toList();
    }

    /** {@code means} means from the most isolated members, cycling when the front is smaller; the centre if empty. */
    private List<double[]> fallbackMeans(List<FrontMember> isolated) {
        List<double[]> out = new ArrayList<>();
        for (int m = 0; m < s.means(); m++) {
            if (isolated.isEmpty()) {
                double[] half = new double[s.size()];
                Arrays.fill(half, 0.5);
                out.add(half);
            } else {
                out.add(isolated.get(m % isolated.size()).genes().clone());
            }
        }
        return out;
    }

    private ParetoPrompts.Shown shown(FrontMember m) {
        double[] values = m.objectives().clone();
        for (int j = 0; j < values.length; j++) {
            if (s.minimised()[j]) {
                values[j] = -values[j];
            }
        }
        int[] pct = new int[m.genes().length];
        for (int j = 0; j < pct.length; j++) {
            pct[j] = (int) Math.round(m.genes()[j] * 100);
        }
        return new ParetoPrompts.Shown(values, pct);
    }

    private void emit(LlmExchange x) {
        exchanges.accept(x.redacted(llm::redact));
    }
}
