package dev.evomerge.server;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.function.Function;
import java.util.function.Predicate;

/** Typed reads of a JSON request body; a wrong type or range is a 400 naming the field. */
final class Fields {

    private final JsonNode body;

    Fields(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw ApiException.invalid("The request body must be a JSON object.", null);
        }
        this.body = body;
    }

    /** The raw value, or null when absent or JSON null. */
    JsonNode raw(String name) {
        JsonNode v = body.get(name);
        return v == null || v.isNull() ? null : v;
    }

    boolean has(String name) {
        return raw(name) != null;
    }

    Optional<String> string(String name) {
        return typed(name, JsonNode::isTextual, "a string", JsonNode::asText);
    }

    Optional<Boolean> bool(String name) {
        return typed(name, JsonNode::isBoolean, "true or false", JsonNode::booleanValue);
    }

    /** The field when present; one of another JSON type is refused with a sentence naming what it must be. */
    private <T> Optional<T> typed(String name, Predicate<JsonNode> isType, String type, Function<JsonNode, T> value) {
        JsonNode v = raw(name);
        if (v == null) {
            return Optional.empty();
        }
        if (!isType.test(v)) {
            throw ApiException.invalid("'" + name + "' must be " + type + ", got " + kind(v) + ".", name);
        }
        return Optional.of(value.apply(v));
    }

    /** An integer in [min, max]; integral floats such as 16.0 are accepted. */
    OptionalInt integer(String name, long min, long max) {
        OptionalLong v = longValue(name, min, max);
        return v.isPresent() ? OptionalInt.of((int) v.getAsLong()) : OptionalInt.empty();
    }

    OptionalLong longValue(String name, long min, long max) {
        JsonNode v = raw(name);
        if (v == null) {
            return OptionalLong.empty();
        }
        long value = integral(v, name);
        if (value < min || value > max) {
            throw ApiException.invalid("'" + name + "' must be between " + min + " and " + max + ", got " + value
                    + ".", name);
        }
        return OptionalLong.of(value);
    }

    static long integral(JsonNode v, String name) {
        if (v.isIntegralNumber() && v.canConvertToLong()) {
            return v.longValue();
        }
        if (v.isNumber() && v.doubleValue() == Math.rint(v.doubleValue()) && Math.abs(v.doubleValue()) < 9e15) {
            return (long) v.doubleValue();
        }
        throw ApiException.invalid("'" + name + "' must be an integer, got " + kind(v) + ".", name);
    }

    /** A number in [min, max]. */
    OptionalDouble number(String name, double min, double max) {
        JsonNode v = raw(name);
        if (v == null) {
            return OptionalDouble.empty();
        }
        if (!v.isNumber()) {
            throw ApiException.invalid("'" + name + "' must be a number, got " + kind(v) + ".", name);
        }
        double d = v.doubleValue();
        if (!(d >= min && d <= max)) {
            throw ApiException.invalid("'" + name + "' must be between " + min + " and " + max + ", got " + d + ".",
                    name);
        }
        return OptionalDouble.of(d);
    }

    /** {@code stop}: absent, a string, or a list of non-empty strings. */
    List<String> stop(String name) {
        JsonNode v = raw(name);
        List<String> out = new ArrayList<>();
        if (v == null) {
            return out;
        }
        if (v.isTextual()) {
            out.add(v.asText());
        } else if (v.isArray()) {
            for (JsonNode s : v) {
                if (!s.isTextual()) {
                    throw ApiException.invalid("'" + name + "' must be a string or a list of strings.", name);
                }
                out.add(s.asText());
            }
        } else {
            throw ApiException.invalid("'" + name + "' must be a string or a list of strings, got " + kind(v) + ".",
                    name);
        }
        if (out.stream().anyMatch(String::isEmpty)) {
            throw ApiException.invalid("'" + name + "' must not contain empty strings.", name);
        }
        if (out.size() > 16) {
            throw ApiException.invalid("'" + name + "' may list at most 16 strings.", name);
        }
        return out;
    }

    /** Fields the server cannot honour are refused unless they hold their neutral value. */
    void requireNeutral(String name, double neutral) {
        JsonNode v = raw(name);
        if (v != null && !(v.isNumber() && v.doubleValue() == neutral)) {
            throw ApiException.invalid("'" + name + "' is not supported by this server (only " + fmt(neutral)
                    + ").", name);
        }
    }

    void requireFalse(String name, String why) {
        if (bool(name).orElse(false)) {
            throw ApiException.invalid("'" + name + "' is not supported by this server: " + why, name);
        }
    }

    void requireEmptyObject(String name) {
        JsonNode v = raw(name);
        if (v != null && !(v.isObject() && v.isEmpty())) {
            throw ApiException.invalid("'" + name + "' is not supported by this server.", name);
        }
    }

    private static String fmt(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    static String kind(JsonNode v) {
        if (v.isTextual()) {
            return "a string";
        }
        if (v.isBoolean()) {
            return "a boolean";
        }
        if (v.isNumber()) {
            return "the number " + v.asText();
        }
        if (v.isArray()) {
            return "a list";
        }
        if (v.isObject()) {
            return "an object";
        }
        return v.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
    }
}
