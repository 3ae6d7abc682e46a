package dev.evomerge.evolve.llm;

import dev.evomerge.engine.chat.ChatMessage;

import java.util.List;

/**
 * The tokens one request cost: the prompt's and the reply's, as the server's {@code usage} reported them, or as
 * {@link #estimate(List, String) estimated} here when it reported none ({@code estimated} says which).
 */
public record TokenUsage(int promptTokens, int completionTokens, boolean estimated) {

    /** Tokens a chat template adds around each message (role markers), in the estimate. */
    static final int PER_MESSAGE = 4;

    /** The estimate for a text: one token per four characters, rounded up (close for English; low for digits). */
    public static int estimate(String text) {
        return text == null ? 0 : (text.length() + 3) / 4;
    }

    /** The estimated prompt tokens of a conversation. */
    public static int estimate(List<ChatMessage> messages) {
        int n = 0;
        for (ChatMessage m : messages) {
            n += estimate(m.content()) + PER_MESSAGE;
        }
        return n;
    }

    /** The estimated usage of a request that sent {@code messages} and got {@code reply}. */
    public static TokenUsage estimate(List<ChatMessage> messages, String reply) {
        return new TokenUsage(estimate(messages), estimate(reply), true);
    }
}
