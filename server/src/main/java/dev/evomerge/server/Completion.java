package dev.evomerge.server;

import dev.evomerge.engine.GeneratedToken;

import java.util.List;

/**
 * The generated part of one choice, ready to report.
 *
 * @param prompt          the prompt's token ids
 * @param tokens          the generated tokens the text shows (an ending EOS and tokens past a stop string left out)
 * @param pieces          the text each of {@code tokens} adds
 * @param text            the generated text (special tokens skipped), cut before a stop string
 * @param stopped         true for finish_reason {@code stop} (EOS, a stop string, a complete JSON object), false for
 *                        {@code length}
 * @param generatedTokens how many tokens the model generated, the EOS and any cut tokens included (usage)
 */
record Completion(int[] prompt, List<GeneratedToken> tokens, List<String> pieces, String text, boolean stopped,
                  int generatedTokens) {

    Completion {
        prompt = prompt.clone();
        tokens = List.copyOf(tokens);
        pieces = List.copyOf(pieces);
    }

    String finishReason() {
        return stopped ? "stop" : "length";
    }
}
