package dev.evomerge.merge.config;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** A {@code parameters:} block: parameter name to setting, in the order written. */
public record Parameters(Map<String, ParameterSetting> settings) {

    private static final Parameters EMPTY = new Parameters(Map.of());

    public Parameters {
        settings = Collections.unmodifiableMap(new LinkedHashMap<>(settings));
    }

    public static Parameters empty() {
        return EMPTY;
    }

    public static Parameters of(Map<String, ParameterSetting> settings) {
        return new Parameters(settings);
    }

    /** The setting of one parameter, or null. */
    public ParameterSetting get(String name) {
        return settings.get(name);
    }

    public boolean contains(String name) {
        return settings.containsKey(name);
    }

    public Set<String> names() {
        return settings.keySet();
    }

    public boolean isEmpty() {
        return settings.isEmpty();
    }

    /** A copy with one setting added or replaced (keeps the position of an existing name). */
    public Parameters with(String name, ParameterSetting setting) {
        Map<String, ParameterSetting> m = new LinkedHashMap<>(settings);
        m.put(name, setting);
        return new Parameters(m);
    }
}
