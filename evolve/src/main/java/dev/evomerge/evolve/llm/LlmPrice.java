package dev.evomerge.evolve.llm;

import dev.evomerge.core.EvomergeException;

import java.util.Locale;

/** {@code --llm-price-per-mtok IN,OUT}: what a million prompt and a million completion tokens cost, in any currency. */
public record LlmPrice(double inPerMtok, double outPerMtok) {

    /** The option's value ("2.5,10"), or null when it is null or blank; a usage error naming the option otherwise. */
    public static LlmPrice parse(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String[] parts = value.split(",", -1);
        if (parts.length == 2) {
            try {
                double in = Double.parseDouble(parts[0].strip());
                double out = Double.parseDouble(parts[1].strip());
                if (Double.isFinite(in) && Double.isFinite(out) && in >= 0 && out >= 0) {
                    return new LlmPrice(in, out);
                }
            } catch (NumberFormatException e) {
                // named below
            }
        }
        throw EvomergeException.usage("--llm-price-per-mtok must be IN,OUT: the prices of a million prompt and a million"
                + " completion tokens, two non-negative numbers such as 2.5,10; got '" + value + "'.");
    }

    /** The estimated cost of {@code promptTokens} in and {@code completionTokens} out. */
    public double cost(long promptTokens, long completionTokens) {
        return (promptTokens * inPerMtok + completionTokens * outPerMtok) / 1_000_000.0;
    }

    /** "cost ~0.0123" (prices in, cost out, in the same currency). */
    public String costText(long promptTokens, long completionTokens) {
        return String.format(Locale.ROOT, "cost ~%.4f", cost(promptTokens, completionTokens));
    }
}
