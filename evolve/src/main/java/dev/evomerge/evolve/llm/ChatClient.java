package dev.evomerge.evolve.llm;

import java.util.List;

/** Messages in, the assistant's text out. OpenAI-compatible HTTP servers and the embedded local model implement it. */
public interface ChatClient {

    /**
     * One completion of the conversation, asking for a JSON object reply. Transport faults are retried inside;
     * what still fails is thrown as {@link ChatException}.
     */
    String complete(List<ChatMessage> messages);

    /** A short description for logs and the run store ("gpt-4o at https://..."). */
    String description();
}
