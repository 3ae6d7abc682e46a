package dev.evomerge.cli;

import dev.evomerge.evolve.llm.LlmExchange;
import dev.evomerge.evolve.llm.LlmPrice;

/**
 * What the CLI tells about the LLM while a run goes: each exchange's notice, except that the conversation's trim is
 * told once (it recurs every generation once the budget is reached; run.db keeps every one), and the tokens this
 * invocation's requests cost, priced when {@code --llm-price-per-mtok} is given.
 */
final class LlmTally {

    private final LlmPrice price;
    private boolean trimTold;
    private long in;
    private long out;
    private boolean estimated;

    LlmTally(LlmPrice price) {
        this.price = price;
    }

    /** The line to print for {@code x} (null: nothing to print), counting its tokens. */
    String notice(LlmExchange x) {
        if (x.usage() != null) {
            in += x.usage().promptTokens();
            out += x.usage().completionTokens();
            estimated |= x.usage().estimated();
        }
        if (LlmExchange.TRIM.equals(x.kind())) {
            if (trimTold) {
                return null;
            }
            trimTold = true;
            return x.notice() + " (told once; every trim is recorded in llm_exchanges)";
        }
        return x.notice();
    }

    /** "llm tokens 5300 in + 400 out, cost ~0.0093", or "" before any request. */
    String tokens() {
        if (in == 0 && out == 0) {
            return "";
        }
        String approx = estimated ? "~" : "";
        return "llm tokens " + approx + in + " in + " + approx + out + " out"
                + (price == null ? "" : ", " + price.costText(in, out));
    }
}
