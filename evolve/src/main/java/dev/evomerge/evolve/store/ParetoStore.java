package dev.evomerge.evolve.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.evolve.objective.Objective;
import dev.evomerge.evolve.run.MetricKey;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The multi-objective part of a run's STORAGE/run.db, in tables of its own beside {@link RunStore}'s (a run.db without
 * them is a single-objective run, and opens as before):
 * <ul>
 *   <li>{@code objectives}: the run's objectives in order (name, the metric it reads, whether it is minimised);</li>
 *   <li>{@code objective_values}: each scored candidate's objective vector (generation, idx as in {@code candidates}),
 *       as the user reads it: a cost is not negated;</li>
 *   <li>{@code pareto_fronts}: after each generation, the non-dominated set of every candidate scored so far (as
 *       [generation, idx] pairs), its hypervolume and the reference point it was measured from.</li>
 * </ul>
 * It has its own connection to the file (SQLite in WAL mode serialises the writers); each write is one transaction.
 */
public final class ParetoStore implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

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

    private final Path file;
    private final Connection db;

    private ParetoStore(Path file, Connection db) {
        this.file = file;
        this.db = db;
    }

    /** Opens STORAGE/run.db (made by {@link RunStore#open}) for writing, adding the tables if needed. */
    public static ParetoStore open(Path storage) {
        Path file = storage.resolve(RunStore.FILE_NAME);
        try {
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
            try (Statement st = c.createStatement()) {
                st.execute("PRAGMA busy_timeout=10000");
                st.execute("PRAGMA synchronous=FULL");
                st.execute("""
                        CREATE TABLE IF NOT EXISTS objectives (
                          position INTEGER PRIMARY KEY, name TEXT NOT NULL, metric TEXT, minimised INTEGER NOT NULL)""");
                st.execute("""
                        CREATE TABLE IF NOT EXISTS objective_values (
                          generation INTEGER NOT NULL, idx INTEGER NOT NULL, objective_values TEXT NOT NULL,
                          PRIMARY KEY (generation, idx))""");
                st.execute("""
                        CREATE TABLE IF NOT EXISTS pareto_fronts (
                          generation INTEGER PRIMARY KEY, members TEXT NOT NULL, hypervolume REAL NOT NULL,
                          reference TEXT NOT NULL)""");
            }
            return new ParetoStore(file, c);
        } catch (SQLException e) {
            throw EvomergeException.runtime("Cannot open the run store " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Opens a run's objectives for reading only (the dashboard, reports); empty for a run.db without them (a
     * single-objective run, or one stored before multi-objective runs existed).
     */
    public static Optional<ParetoStore> openReadOnly(Path storage) {
        Path file = Files.isDirectory(storage) ? storage.resolve(RunStore.FILE_NAME) : storage;
        try {
            org.sqlite.SQLiteConfig config = new org.sqlite.SQLiteConfig();
            config.setReadOnly(true);
            config.setBusyTimeout(10000);
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file, config.toProperties());
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT count(*) FROM sqlite_master"
                    + " WHERE type = 'table' AND name IN ('objectives', 'objective_values', 'pareto_fronts')")) {
                if (rs.next() && rs.getInt(1) == 3) {
                    return Optional.of(new ParetoStore(file, c));
                }
            }
            c.close();
            return Optional.empty();
        } catch (SQLException e) {
            throw EvomergeException.runtime("Cannot open the run store " + file + " for reading: " + e.getMessage(), e);
        }
    }

    /** Stores the run's objectives (replacing any stored before). */
    public synchronized void putObjectives(List<Objective> objectives) {
        try {
            db.setAutoCommit(false);
            try (Statement st = db.createStatement()) {
                st.execute("DELETE FROM objectives");
            }
            for (int i = 0; i < objectives.size(); i++) {
                Objective o = objectives.get(i);
                update("INSERT INTO objectives(position, name, metric, minimised) VALUES (?,?,?,?)", i, o.name(),
                        o.metric() == null ? null : o.metric().text(), o.minimised() ? 1 : 0);
            }
            db.commit();
        } catch (SQLException e) {
            rollback();
            throw writeError(e);
        } finally {
            autoCommit();
        }
    }

    /** The run's objectives in order; empty for a run stored without them. */
    public List<Objective> objectives() {
        return queryAll("SELECT name, metric FROM objectives ORDER BY position", rs -> {
            String metric = rs.getString(2);
            return metric == null ? Objective.cost(rs.getString(1)) : Objective.of(MetricKey.parse(metric));
        });
    }

    /** Records a scored candidate's objective vector (again: replaced, as its candidates row is). */
    public void recordValues(int generation, int index, double[] values) {
        update("INSERT OR REPLACE INTO objective_values(generation, idx, objective_values) VALUES (?,?,?)",
                generation, index, json(values));
    }

    /** Every recorded objective vector, by generation then index. */
    public List<Point> points() {
        return queryAll("SELECT generation, idx, objective_values FROM objective_values ORDER BY generation, idx",
                rs -> new Point(rs.getInt(1), rs.getInt(2), JSON.readValue(rs.getString(3), double[].class)));
    }

    /** Records the front after {@code front.generation()} (again: replaced). */
    public void recordFront(Front front) {
        List<int[]> members = front.members().stream().map(m -> new int[] {m.generation(), m.index()}).toList();
        update("INSERT OR REPLACE INTO pareto_fronts(generation, members, hypervolume, reference) VALUES (?,?,?,?)",
                front.generation(), json(members), front.hypervolume(), json(front.reference()));
    }

    /** The front of every generation, in order. */
    public List<Front> fronts() {
        return queryAll("SELECT generation, members, hypervolume, reference FROM pareto_fronts ORDER BY generation",
                ParetoStore::front);
    }

    /** The latest generation's front. */
    public Optional<Front> latestFront() {
        List<Front> all = queryAll("SELECT generation, members, hypervolume, reference FROM pareto_fronts"
                + " ORDER BY generation DESC LIMIT 1", ParetoStore::front);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.getFirst());
    }

    private static Front front(ResultSet rs) throws Exception {
        int[][] members = JSON.readValue(rs.getString(2), int[][].class);
        List<CandidateId> ids = new ArrayList<>();
        for (int[] m : members) {
            ids.add(new CandidateId(m[0], m[1]));
        }
        return new Front(rs.getInt(1), ids, rs.getDouble(3), JSON.readValue(rs.getString(4), double[].class));
    }

    @Override
    public void close() {
        try {
            db.close();
        } catch (SQLException e) {
            throw EvomergeException.runtime("Cannot close the run store " + file + ": " + e.getMessage(), e);
        }
    }

    private interface Row<T> {
        T read(ResultSet rs) throws Exception;
    }

    private synchronized void update(String sql, Object... args) {
        try (PreparedStatement ps = db.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                ps.setObject(i + 1, args[i]);
            }
            ps.executeUpdate();
        } catch (SQLException e) {
            throw writeError(e);
        }
    }

    private synchronized <T> List<T> queryAll(String sql, Row<T> row) {
        try (PreparedStatement ps = db.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
            List<T> out = new ArrayList<>();
            while (rs.next()) {
                out.add(row.read(rs));
            }
            return out;
        } catch (Exception e) {
            throw EvomergeException.runtime("Cannot read the run store " + file + ": " + e.getMessage(), e);
        }
    }

    private EvomergeException writeError(SQLException e) {
        return EvomergeException.runtime("Cannot write to the run store " + file + ": " + e.getMessage(), e);
    }

    private void rollback() {
        try {
            db.rollback();
        } catch (SQLException ignored) {
            // the write's own failure is the one reported
        }
    }

    private void autoCommit() {
        try {
            db.setAutoCommit(true);
        } catch (SQLException e) {
            throw writeError(e);
        }
    }

    private static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("run-store values are plain data", e);
        }
    }
}
