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
                new GtaMethod(GtaVariant.TASK_ARITHMETIC),
                new GtaMethod(GtaVariant.TIES),
                new GtaMethod(GtaVariant.DARE_TIES),
                new GtaMethod(GtaVariant.DARE_LINEAR),
                new GtaMethod(GtaVariant.BREADCRUMBS),
                new GtaMethod(GtaVariant.BREADCRUMBS_TIES),
                new GtaMethod(GtaVariant.DELLA),
                new GtaMethod(GtaVariant.DELLA_LINEAR),
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
