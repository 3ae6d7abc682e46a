package dev.evomerge.evolve.objective;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.evolve.genome.TaskSpec;
import dev.evomerge.evolve.run.Evaluation;
import dev.evomerge.evolve.run.MetricKey;
import dev.evomerge.merge.MergeOptions;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The objectives of a multi-objective run, in the order the user gave them, and how each is measured on a candidate.
 *
 * <p>A spec is a task of the genome file's {@code tasks:} ("arc_train": the metric its task entry names), a task and
 * metric ("arc_train/acc_norm,none"), or a cost: {@code params}. Metrics are maximised, costs minimised. {@code layers}
 * (a data-flow path's length) is refused until evomerge has data-flow genomes.
 */
public final class Objectives implements AutoCloseable {

    /** The one-sentence refusal of {@code layers}. */
    static final String LAYERS_REFUSED = "the objective 'layers' measures a data-flow path, and multi-objective runs search merge"
            + " recipes only (--space ps): use task metrics and 'params'.";

    private final List<Objective> objectives;
    private final Map<String, CostMeasure> costs;

    private Objectives(List<Objective> objectives, Map<String, CostMeasure> costs) {
        this.objectives = List.copyOf(objectives);
        this.costs = Map.copyOf(costs);
    }

    /** The objectives of {@code specs} (the names only, for checks and prompts): costs are named but not measurable. */
    public static List<Objective> parse(List<String> specs, List<TaskSpec> tasks, String where) {
        if (specs.size() < 2) {
            throw EvomergeException.usage(where + " needs at least two objectives (one is what the weighted sum of tasks"
                    + " does), got " + specs.size() + ".");
        }
        List<Objective> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (String raw : specs) {
            String spec = raw.strip();
            Objective o = parseOne(spec, tasks, where);
            if (!seen.add(o.name())) {
                throw EvomergeException.usage(where + " names the objective '" + o.name() + "' twice.");
            }
            out.add(o);
        }
        return out;
    }

    private static Objective parseOne(String spec, List<TaskSpec> tasks, String where) {
        if (spec.equals(ParamsCost.NAME)) {
            return Objective.cost(ParamsCost.NAME);
        }
        if (spec.equals("layers")) {
            throw EvomergeException.usage(where + ": " + LAYERS_REFUSED);
        }
        int slash = spec.indexOf('/');
        String task = slash < 0 ? spec : spec.substring(0, slash);
        TaskSpec t = tasks.stream().filter(x -> x.name().equals(task)).findFirst().orElseThrow(() ->
                EvomergeException.usage(where + ": '" + spec + "' is neither 'params' nor a task of the genome file's"
                        + " tasks (" + String.join(", ", tasks.stream().map(TaskSpec::name).toList()) + ")."));
        String metric = slash < 0 ? t.metric() : spec.substring(slash + 1);
        if (metric.isBlank()) {
            throw EvomergeException.usage(where + ": '" + spec + "' names no metric after '/'.");
        }
        return Objective.of(new MetricKey(task, metric));
    }

    /** The objectives, measured with the cost measures {@code measure} makes for their names. */
    public static Objectives of(List<Objective> objectives, Function<String, CostMeasure> measure) {
        Map<String, CostMeasure> costs = new java.util.HashMap<>();
        for (Objective o : objectives) {
            if (o.minimised()) {
                costs.put(o.name(), measure.apply(o.name()));
            }
        }
        return new Objectives(objectives, costs);
    }

    /** The objectives with the costs evomerge measures: {@code params} planned with the run's merge options. */
    public static Objectives of(List<Objective> objectives, MergeOptions mergeOptions) {
        return of(objectives, name -> switch (name) {
            case ParamsCost.NAME -> new ParamsCost(mergeOptions);
            default -> throw new IllegalArgumentException("no cost measure named " + name);
        });
    }

    public List<Objective> list() {
        return objectives;
    }

    public int size() {
        return objectives.size();
    }

    /**
     * The objective values of a scored candidate, as the user reads them (a cost is not negated). Throws
     * IllegalArgumentException naming a metric its results lack or a cost that cannot be measured.
     */
    public double[] measure(Evaluation e) {
        double[] v = new double[objectives.size()];
        for (int i = 0; i < v.length; i++) {
            Objective o = objectives.get(i);
            if (o.minimised()) {
                v[i] = costs.get(o.name()).cost(e.candidate());
            } else {
                Double m = e.metrics().get(o.metric());
                if (m == null || !Double.isFinite(m)) {
                    throw new IllegalArgumentException("the objective " + o.name() + " has " + (m == null
                            ? "no value in the candidate's results" : "the value " + m));
                }
                v[i] = m;
            }
        }
        return v;
    }

    /** The values as the optimizers compare them (every objective maximised). */
    public double[] maximised(double[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = objectives.get(i).maximised(values[i]);
        }
        return out;
    }

    /** The names, in order. */
    public List<String> names() {
        return objectives.stream().map(Objective::name).toList();
    }

    @Override
    public void close() {
        costs.values().forEach(CostMeasure::close);
    }
}
