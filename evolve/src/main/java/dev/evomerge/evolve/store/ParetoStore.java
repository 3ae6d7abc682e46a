package dev.evomerge.evolve.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.evolve.objective.Objective;
import dev.evomerge.evolve.run.MetricKey;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The multi-objective part of a run's STORAGE/run.db, in tables of its own beside {@link RunStore}'s, on the
 * {@link RunStore}'s connection (a run.db without them is a single-objective run, and opens as before):
 * <ul>
 *   <li>{@code objectives}: the run's objectives in order (name, the metric it reads, whether it is minimised);</li>
 *   <li>{@code objective_values}: each scored candidate's objective vector (generation, idx as in {@code candidates}),
 *       as the user reads it: a cost is not negated;</li>
 *   <li>{@code pareto_fronts}: after each generation, the non-dominated set of every candidate scored so far (as
 *       [generation, idx] pairs), its hypervolume and the reference point it was measured from (costs negated).</li>
 * </ul>
 * Each write is one statement, its own transaction. The {@link RunStore} owns the connection and closes it.
 */
public final class ParetoStore {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> TABLES = List.of("objectives", "objective_values", "pareto_fronts");

    /** One candidate's objective vector. */
    public record Point(int generation, int index, double[] values) {
    }

    /**
     * The front after one generation: its members (generation, index) in the order of the candidates table, the
     * hypervolume they dominate in the maximised objective space, and the reference point (maximised) it was measured
     * from.
     */
    public record Front(int generation, List<CandidateId> members, double hypervolume, double[] reference) {
        public Front {
            members = List.copyOf(members);
        }
    }

    /** A candidate's place in the run. */
    public record CandidateId(int generation, int index) {
    }

    private final RunStore store;

    private ParetoStore(RunStore store) {
        this.store = store;
    }

    /** The objective tables of a run store opened for writing, made if needed. */
    public static ParetoStore open(RunStore store) {
        store.update("""
                CREATE TABLE IF NOT EXISTS objectives (
                  position INTEGER PRIMARY KEY, name TEXT NOT NULL, metric TEXT, minimised INTEGER NOT NULL)""");
        store.update("""
                CREATE TABLE IF NOT EXISTS objective_values (
                  generation INTEGER NOT NULL, idx INTEGER NOT NULL, objective_values TEXT NOT NULL,
                  PRIMARY KEY (generation, idx))""");
        store.update("""
                CREATE TABLE IF NOT EXISTS pareto_fronts (
                  generation INTEGER PRIMARY KEY, members TEXT NOT NULL, hypervolume REAL NOT NULL,
                  reference TEXT NOT NULL)""");
        return new ParetoStore(store);
    }

    /**
     * The objective tables of any run store (one opened read-only too: the dashboard, reports); empty for a run.db
     * without them (a single-objective run, or one stored before multi-objective runs existed).
     */
    public static Optional<ParetoStore> of(RunStore store) {
        List<Integer> count = store.queryAll("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN (?, ?, ?)",
                rs -> rs.getInt(1), TABLES.toArray());
        return count.getFirst() == TABLES.size() ? Optional.of(new ParetoStore(store)) : Optional.empty();
    }

    /** Stores the run's objectives (replacing any stored before). */
    public void putObjectives(List<Objective> objectives) {
        for (int i = 0; i < objectives.size(); i++) {
            Objective o = objectives.get(i);
            store.update("INSERT OR REPLACE INTO objectives(position, name, metric, minimised) VALUES (?,?,?,?)", i,
                    o.name(), o.metric() == null ? null : o.metric().text(), o.minimised() ? 1 : 0);
        }
        store.update("DELETE FROM objectives WHERE position >= ?", objectives.size());
    }

    /** The run's objectives in order; empty for a run stored without them. */
    public List<Objective> objectives() {
        return store.queryAll("SELECT name, metric FROM objectives ORDER BY position", rs -> {
            String metric = rs.getString(2);
            return metric == null ? Objective.cost(rs.getString(1)) : Objective.of(MetricKey.parse(metric));
        });
    }

    /** Records a scored candidate's objective vector (again: replaced, as its candidates row is). */
    public void recordValues(int generation, int index, double[] values) {
        store.update("INSERT OR REPLACE INTO objective_values(generation, idx, objective_values) VALUES (?,?,?)",
                generation, index, json(values));
    }

    /** Every recorded objective vector, by generation then index. */
    public List<Point> points() {
        return store.queryAll("SELECT generation, idx, objective_values FROM objective_values ORDER BY generation, idx",
                rs -> new Point(rs.getInt(1), rs.getInt(2), JSON.readValue(rs.getString(3), double[].class)));
    }

    /** Records the front after {@code front.generation()} (again: replaced). */
    public void recordFront(Front front) {
        List<int[]> members = front.members().stream().map(m -> new int[] {m.generation(), m.index()}).toList();
        store.update("INSERT OR REPLACE INTO pareto_fronts(generation, members, hypervolume, reference) VALUES (?,?,?,?)",
                front.generation(), json(members), front.hypervolume(), json(front.reference()));
    }

    /** The front of every generation, in order. */
    public List<Front> fronts() {
        return store.queryAll("SELECT generation, members, hypervolume, reference FROM pareto_fronts ORDER BY generation",
                ParetoStore::front);
    }

    /** The latest generation's front. */
    public Optional<Front> latestFront() {
        List<Front> all = store.queryAll("SELECT generation, members, hypervolume, reference FROM pareto_fronts"
                + " ORDER BY generation DESC LIMIT 1", ParetoStore::front);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.getFirst());
    }

    private static Front front(java.sql.ResultSet rs) throws Exception {
        int[][] members = JSON.readValue(rs.getString(2), int[][].class);
        List<CandidateId> ids = new ArrayList<>();
        for (int[] m : members) {
            ids.add(new CandidateId(m[0], m[1]));
        }
        return new Front(rs.getInt(1), ids, rs.getDouble(3), JSON.readValue(rs.getString(4), double[].class));
    }

    private static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("run-store values are plain data", e);
        }
    }
}
