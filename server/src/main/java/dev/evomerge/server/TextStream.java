package dev.evomerge.server;

import dev.evomerge.engine.GeneratedToken;

import java.util.ArrayList;
import java.util.List;

/**
 * One streamed choice as its tokens arrive: each call returns the text that may be shown now and the tokens it
 * completes. Text is held back while it ends in an unfinished UTF-8 character or in the start of a stop string, and
 * never goes past a stop string, so the deltas always add up to the text the non-streamed reply would have.
 */
final class TextStream {

    /**
     * What a chunk adds: text and the tokens (with the text each adds) that it completes; {@code textOffset} is the
     * first token's offset in the completion's text, in code points (the completions logprobs' text_offset);
     * {@code context} is the prompt and every token up to the delta's last, the delta's first at {@code position}.
     */
    record Delta(String text, List<GeneratedToken> tokens, List<String> pieces, int textOffset, int[] context,
                 int position) {
        boolean isEmpty() {
            return text.isEmpty() && tokens.isEmpty();
        }
    }

    private final ServedModel served;
    private final TextGeneration generation;
    private final int[] prompt;
    private final List<String> stops;
    private final List<GeneratedToken> tokens = new ArrayList<>();
    private int sentChars;
    private int sentTokens;
    private int tokenOffset;

    TextStream(ServedModel served, TextGeneration generation, int[] prompt, List<String> stops) {
        this.served = served;
        this.generation = generation;
        this.prompt = prompt.clone();
        this.stops = List.copyOf(stops);
    }

    /**
     * The delta after one more generated token. A special token (an EOS) adds no text, so it and the tokens after it
     * are only sent with {@link #finish}, which leaves out an EOS that ended the generation.
     */
    Delta add(GeneratedToken token) {
        tokens.add(token);
        int[] ids = TextGeneration.ids(tokens);
        String text = served.tokenizer().decode(ids, true);
        int safe = text.length();
        while (safe > 0 && text.charAt(safe - 1) == '\uFFFD') {
            safe--; // possibly an unfinished UTF-8 character: the next token decides
        }
        int stopAt = StopStrings.first(text, stops);
        if (stopAt >= 0) {
            safe = Math.min(safe, stopAt);
        } else {
            safe -= heldForStop(text.substring(0, safe));
        }
        if (safe <= sentChars) {
            return empty();
        }
        String delta = text.substring(sentChars, safe);
        // the tokens whose text now lies wholly inside what was shown
        List<String> pieces = generation.pieces(prompt, ids);
        int end = 0;
        int complete = 0;
        for (int k = 0; k < pieces.size(); k++) {
            end += pieces.get(k).length();
            if (end > safe) {
                break;
            }
            complete = k + 1;
        }
        return emit(delta, tokens.subList(Math.min(sentTokens, complete), complete),
                pieces.subList(Math.min(sentTokens, complete), complete), safe);
    }

    /** What the finished completion adds to what was sent: the rest of its text and of its tokens. */
    Delta finish(Completion c) {
        String text = c.text().length() > sentChars ? c.text().substring(sentChars) : "";
        int from = Math.min(sentTokens, c.tokens().size());
        return emit(text, c.tokens().subList(from, c.tokens().size()), c.pieces().subList(from, c.pieces().size()),
                Math.max(sentChars, c.text().length()));
    }

    private Delta empty() {
        return new Delta("", List.of(), List.of(), tokenOffset, prompt, prompt.length + sentTokens);
    }

    private Delta emit(String text, List<GeneratedToken> newTokens, List<String> newPieces, int shownChars) {
        int[] shown = TextGeneration.ids(tokens.subList(0, Math.min(tokens.size(), sentTokens + newTokens.size())));
        if (shown.length < sentTokens + newTokens.size()) { // finish(): the completion's own tokens
            shown = new int[sentTokens + newTokens.size()];
            for (int k = 0; k < shown.length; k++) {
                shown[k] = k < sentTokens ? tokens.get(k).token() : newTokens.get(k - sentTokens).token();
            }
        }
        Delta d = new Delta(text, List.copyOf(newTokens), List.copyOf(newPieces), tokenOffset,
                TextGeneration.concat(prompt, shown), prompt.length + sentTokens);
        for (String p : newPieces) {
            tokenOffset += p.codePointCount(0, p.length());
        }
        sentChars = shownChars;
        sentTokens += newTokens.size();
        return d;
    }

    /** Characters at the end of {@code text} that begin some stop string (they may yet become one). */
    private int heldForStop(String text) {
        int held = 0;
        for (String stop : stops) {
            for (int n = Math.min(stop.length() - 1, text.length()); n > held; n--) {
                if (text.endsWith(stop.substring(0, n))) {
                    held = n;
                    break;
                }
            }
        }
        return held;
    }
}
