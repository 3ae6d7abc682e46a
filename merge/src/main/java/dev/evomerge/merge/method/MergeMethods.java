package dev.evomerge.merge.method;

import dev.evomerge.core.EvomergeException;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The merge methods by their mergekit names. */
public final class MergeMethods {

    private static final Map<String, MergeMethod> BY_NAME = build();

    private MergeMethods() {
    }

    private static Map<String, MergeMethod> build() {
        Map<String, MergeMethod> m = new LinkedHashMap<>();
        for (MergeMethod method : List.<MergeMethod>of(
                new LinearMethod(),
                new GtaMethod("task_arithmetic", GtaMethod.Sparsification.NONE, false, false, false),
                new GtaMethod("ties", GtaMethod.Sparsification.MAGNITUDE, true, true, false),
                new GtaMethod("dare_ties", GtaMethod.Sparsification.RANDOM, true, false, true),
                new GtaMethod("dare_linear", GtaMethod.Sparsification.RANDOM, false, false, true),
                new GtaMethod("breadcrumbs", GtaMethod.Sparsification.OUTLIERS, false, false, false),
                new GtaMethod("breadcrumbs_ties", GtaMethod.Sparsification.OUTLIERS, true, false, false),
                new GtaMethod("della", GtaMethod.Sparsification.DELLA, true, true, true),
                new GtaMethod("della_linear", GtaMethod.Sparsification.DELLA, false, false, true),
                new SlerpMethod(),
                new NuSlerpMethod(),
                new MultiSlerpMethod(),
                new KarcherMethod(),
                new ModelStockMethod(),
                new NearSwapMethod(),
                new ArceeFusionMethod(),
                new SceMethod(),
                new RamMethod(false),
                new RamMethod(true),
                new PassthroughMethod())) {
            m.put(method.name(), method);
        }
        return m;
    }

    /** The method called {@code name}; an unknown name is a usage error listing the valid ones. */
    public static MergeMethod byName(String name) {
        MergeMethod m = BY_NAME.get(name);
        if (m == null) {
            throw EvomergeException.usage("Unknown merge_method '" + name + "': expected one of "
                    + String.join(", ", BY_NAME.keySet()) + ".");
        }
        return m;
    }

    /** All method names in registry order. */
    public static List<String> names() {
        return List.copyOf(BY_NAME.keySet());
    }

    /** All methods in registry order. */
    public static List<MergeMethod> all() {
        return List.copyOf(BY_NAME.values());
    }
}
