package dev.evomerge.merge.config;

import java.util.List;
import java.util.Objects;

/**
 * One parameter's setting as written in a merge config (mergekit's {@code ParameterSetting}): a scalar, a gradient
 * (list of anchors interpolated over a slice's depth), or a list of conditionals whose first matching filter wins.
 */
public sealed interface ParameterSetting {

    /**
     * The value for a tensor, or null when a conditional list has no matching entry (the caller falls through to the
     * next precedence level).
     *
     * @param tensorName the name filters are matched against (input name for per-model, output name for global
     *                   parameters)
     * @param t          the position in the output slice, 0..1 (0 for pre- and post-layer weights)
     */
    ParameterValue evaluate(String tensorName, double t);

    /** A constant. */
    record Scalar(ParameterValue value) implements ParameterSetting {
        public Scalar {
            Objects.requireNonNull(value, "value");
        }

        public static Scalar of(double v) {
            return new Scalar(new ParameterValue.Numeric(v));
        }

        public static Scalar of(boolean v) {
            return new Scalar(new ParameterValue.Flag(v));
        }

        @Override
        public ParameterValue evaluate(String tensorName, double t) {
            return value;
        }
    }

    /**
     * Numeric anchors spread evenly over the slice: {@code scaled = t(len-1)}, {@code i0 = floor(scaled)},
     * {@code i1 = min(len-1, i0+1)}, value {@code (1-f)s[i0] + f s[i1]} with {@code f = scaled - i0}.
     */
    record Gradient(List<Double> anchors) implements ParameterSetting {
        public Gradient {
            anchors = nonEmpty(anchors, "a gradient needs at least one anchor");
        }

        @Override
        public ParameterValue evaluate(String tensorName, double t) {
            int last = anchors.size() - 1;
            double scaled = t * last;
            int i0 = (int) scaled; // truncation, as Python's int()
            int i1 = Math.min(last, i0 + 1);
            double frac = scaled - i0;
            return new ParameterValue.Numeric((1 - frac) * anchors.get(i0) + frac * anchors.get(i1));
        }
    }

    /** Non-numeric anchors (strings): a step function {@code s[int(t(len-1))]}. */
    record Steps(List<ParameterValue> values) implements ParameterSetting {
        public Steps {
            values = nonEmpty(values, "a step list needs at least one value");
        }

        @Override
        public ParameterValue evaluate(String tensorName, double t) {
            return values.get((int) (t * (values.size() - 1)));
        }
    }

    /**
     * A list of {@code {filter, value}} entries: the first entry whose filter is null, {@code "*"}, or a substring
     * of the tensor name decides; no match yields null.
     */
    record Conditional(List<Condition> conditions) implements ParameterSetting {
        public Conditional {
            conditions = List.copyOf(conditions);
        }

        @Override
        public ParameterValue evaluate(String tensorName, double t) {
            for (Condition c : conditions) {
                if (c.matches(tensorName)) {
                    return c.value().evaluate(tensorName, t);
                }
            }
            return null;
        }
    }

    /**
     * One conditional entry.
     *
     * @param filter null or {@code "*"} matches every tensor, anything else is a substring test
     * @param value  a scalar, gradient or step list (not another conditional list)
     */
    record Condition(String filter, ParameterSetting value) {
        public Condition {
            Objects.requireNonNull(value, "value");
            if (value instanceof Conditional) {
                throw new IllegalArgumentException("conditional values cannot nest");
            }
        }

        public boolean matches(String tensorName) {
            return filter == null || filter.equals("*") || (tensorName != null && tensorName.contains(filter));
        }
    }

    /** An unmodifiable copy of {@code values}; an empty list is refused with {@code emptyMessage}. */
    private static <T> List<T> nonEmpty(List<T> values, String emptyMessage) {
        if (values.isEmpty()) {
            throw new IllegalArgumentException(emptyMessage);
        }
        return List.copyOf(values);
    }
}
