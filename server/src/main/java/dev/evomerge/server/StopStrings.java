package dev.evomerge.server;

import java.util.List;

/** Finding the {@code stop} strings of a request in generated text. */
final class StopStrings {

    private StopStrings() {
    }

    /** Where the earliest stop string starts in {@code text}, or -1. */
    static int first(String text, List<String> stops) {
        int best = -1;
        for (String s : stops) {
            int at = text.indexOf(s);
            if (at >= 0 && (best < 0 || at < best)) {
                best = at;
            }
        }
        return best;
    }
}
