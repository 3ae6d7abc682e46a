package dev.evomerge.evolve.llm;

import dev.evomerge.engine.chat.ChatMessage;

import java.util.List;

/**
 * The token budget of the conversation sent each generation ({@code --llm-max-context-tokens}). Prompts are sized
 * with {@link TokenUsage#estimate(List)} times a scale learnt from the server's {@code usage} (real tokenizers cut
 * digits finer than four characters a token), and room is left for the reply. A context-length refusal from the
 * server (a budget above the model's real context) caps later prompts at two thirds of the refused one.
 */
public final class ContextBudget {

    /** The budget when neither the option nor the model says otherwise. */
    public static final int DEFAULT_TOKENS = 32768;
    /** The smallest budget accepted: the system prompt alone takes a few hundred tokens. */
    public static final int MIN_TOKENS = 512;
    /** Kept free below the budget against the estimate's error. */
    private static final double MARGIN = 0.05;

    private final int maxTokens;
    private double scale = 1.0;
    private int cap = Integer.MAX_VALUE;

    public ContextBudget(int maxTokens) {
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be at least 1, got " + maxTokens);
        }
        this.maxTokens = maxTokens;
    }

    /** {@code option} where given, else the chat client's own context (a local model), else {@link #DEFAULT_TOKENS}. */
    public static ContextBudget of(Integer option, ChatClient client) {
        if (option != null) {
            return new ContextBudget(option);
        }
        Integer own = client.contextTokens();
        return new ContextBudget(own != null && own > 0 ? own : DEFAULT_TOKENS);
    }

    /** What was learnt from the server: the scale of the estimate and the cap after a refusal (null: none). */
    public record Learnt(double scale, Integer cap) {
    }

    public Learnt learnt() {
        return new Learnt(scale, cap == Integer.MAX_VALUE ? null : cap);
    }

    /** Takes up what a run learnt before it was stopped (null: nothing). */
    public void resume(Learnt l) {
        if (l != null) {
            scale = Math.max(scale, l.scale());
            if (l.cap() != null) {
                cap = Math.min(cap, l.cap());
            }
        }
    }

    public int maxTokens() {
        return maxTokens;
    }

    /**
     * The prompt tokens allowed for a genome of {@code genes} genes: the budget less the reply's room (about four
     * tokens a gene plus a few hundred for the thought, at most half the budget) and the margin.
     */
    public int promptLimit(int genes) {
        int reply = (int) Math.min(maxTokens / 2L, 4L * genes + 256);
        return Math.min(cap, (int) ((maxTokens - reply) * (1 - MARGIN)));
    }

    /** The prompt tokens of {@code messages} as the server will likely count them. */
    public int tokens(List<ChatMessage> messages) {
        return (int) Math.ceil(TokenUsage.estimate(messages) * scale);
    }

    /** Learns the server's tokens per estimated token from a request's reported usage. */
    public void learn(List<ChatMessage> sent, TokenUsage usage) {
        int estimate = TokenUsage.estimate(sent);
        if (usage != null && !usage.estimated() && estimate > 0 && usage.promptTokens() > 0) {
            scale = Math.max(scale, (double) usage.promptTokens() / estimate);
        }
    }

    /**
     * After the server refused {@code refused} as longer than its context: later prompts (the retry included) are
     * held to two thirds of it, so a budget set above the model's real context costs one refusal, not one a generation.
     */
    public void harder(List<ChatMessage> refused) {
        cap = Math.min(cap, tokens(refused) * 2 / 3);
    }
}
