package dev.evomerge.merge.output;

import dev.evomerge.core.EvomergeException;

import java.math.BigDecimal;

/**
 * {@code --out-shard-size}: a byte count with an optional decimal suffix as mergekit reads it, K = 10^3, M = 10^6,
 * B = 10^9 ({@code 5B} is 5,000,000,000 bytes). evomerge also accepts a fractional number before the suffix
 * ({@code 1.5B}).
 */
public final class ShardSize {

    /** mergekit's default, 5B. */
    public static final long DEFAULT = 5_000_000_000L;

    private ShardSize() {
    }

    /** Parses the option value; a malformed value is a usage error. */
    public static long parse(String value) {
        String v = value.trim();
        if (v.isEmpty()) {
            throw bad(value);
        }
        long multiplier = switch (Character.toLowerCase(v.charAt(v.length() - 1))) {
            case 'k' -> 1_000L;
            case 'm' -> 1_000_000L;
            case 'b' -> 1_000_000_000L;
            default -> 1L;
        };
        String number = multiplier == 1 ? v : v.substring(0, v.length() - 1);
        if (!number.matches("\\d+(\\.\\d+)?")) {
            throw bad(value);
        }
        BigDecimal bytes = new BigDecimal(number).multiply(BigDecimal.valueOf(multiplier));
        if (bytes.signum() <= 0 || bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw bad(value);
        }
        return bytes.longValue();
    }

    private static EvomergeException bad(String value) {
        return EvomergeException.usage("--out-shard-size '" + value + "' is not a size: give a positive number of"
                + " bytes with an optional K, M or B suffix (10^3, 10^6, 10^9), e.g. 5B or 500M.");
    }
}
