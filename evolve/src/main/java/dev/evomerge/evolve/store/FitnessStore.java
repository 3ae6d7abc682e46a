package dev.evomerge.evolve.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.EvomergeException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What an estimated fitness keeps in run.db, in tables of its own beside RunStore's (a run.db without them, from a
 * run before estimated fitness or with {@code --fitness-estimator full} before this class existed, reads as empty):
 * <ul>
 *   <li>{@code fitness_candidates}: per candidate, how its fitness was obtained (full, subset, anchors, irt, or
 *       calibration), the estimate where it was estimated, the whole-task fitness where it was measured, and the tokens
 *       each evaluation ran through the model;</li>
 *   <li>{@code calibration_results}: per calibration model (an input model or a calibration candidate) and fitness
 *       term, its per-document values on the calibration documents;</li>
 *   <li>{@code fitness_estimators}: per fitness term, the fitted estimator (its items, anchors, 2PL parameters) as
 *       JSON, so a resumed run reuses it instead of refitting.</li>
 * </ul>
 */
public final class FitnessStore {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A candidate's fitness labels. */
    public record CandidateFitness(int generation, int index, String method, Double estimate, Double full,
                                   Long tokens, Long fullTokens) {
    }

    /** One calibration model's per-document values on one fitness term ("task/metric"). */
    public record CalibrationRow(String model, String term, SortedMap<Integer, Double> values, Long tokens) {
    }

    private final RunStore store;
    private final boolean writable;

    private FitnessStore(RunStore store, boolean writable) {
        this.store = store;
        this.writable = writable;
    }

    /** The fitness tables of a run store open for writing, created when missing. */
    public static FitnessStore of(RunStore store) {
        try (Statement st = store.connection().createStatement()) {
            st.execute("""
                    CREATE TABLE IF NOT EXISTS fitness_candidates (
                      generation INTEGER NOT NULL, idx INTEGER NOT NULL, method TEXT NOT NULL, estimate REAL,
                      full_score REAL, tokens INTEGER, full_tokens INTEGER, PRIMARY KEY (generation, idx))""");
            st.execute("""
                    CREATE TABLE IF NOT EXISTS calibration_results (
                      model TEXT NOT NULL, term TEXT NOT NULL, documents TEXT NOT NULL, tokens INTEGER,
                      PRIMARY KEY (model, term))""");
            st.execute("""
                    CREATE TABLE IF NOT EXISTS fitness_estimators (
                      term TEXT PRIMARY KEY, method TEXT NOT NULL, estimator TEXT NOT NULL)""");
        } catch (SQLException e) {
            throw EvomergeException.runtime("Cannot create the fitness tables in " + store.file() + ": "
                    + e.getMessage(), e);
        }
        return new FitnessStore(store, true);
    }

    /** The fitness tables of a run store open for reading (the dashboard); empty when the run has none. */
    public static FitnessStore reading(RunStore store) {
        return new FitnessStore(store, false);
    }

    /** Records how a candidate's fitness was obtained (replacing an earlier row of it: a resumed candidate). */
    public void recordCandidate(int generation, int index, String method, Double estimate, Double full, Long tokens) {
        update("INSERT OR REPLACE INTO fitness_candidates (generation, idx, method, estimate, full_score, tokens)"
                + " VALUES (?, ?, ?, ?, ?, ?)", generation, index, method, estimate, full, tokens);
    }

    /** Adds the whole-task fitness measured after the candidate's estimate, and the tokens that took. */
    public void recordFullScore(int generation, int index, double full, Long tokens) {
        update("UPDATE fitness_candidates SET full_score = ?, full_tokens = ? WHERE generation = ? AND idx = ?",
                full, tokens, generation, index);
    }

    /** Every candidate's labels, by generation and index. */
    public List<CandidateFitness> candidates() {
        List<CandidateFitness> out = new ArrayList<>();
        if (!hasTable("fitness_candidates")) {
            return out;
        }
        try (Statement st = store.connection().createStatement();
             ResultSet rs = st.executeQuery("SELECT generation, idx, method, estimate, full_score, tokens, full_tokens"
                     + " FROM fitness_candidates ORDER BY generation, idx")) {
            while (rs.next()) {
                out.add(new CandidateFitness(rs.getInt(1), rs.getInt(2), rs.getString(3), real(rs, 4), real(rs, 5),
                        integer(rs, 6), integer(rs, 7)));
            }
        } catch (SQLException e) {
            throw failure("read the fitness labels of", e);
        }
        return out;
    }

    public void recordCalibration(CalibrationRow row) {
        String json;
        try {
            json = JSON.writeValueAsString(row.values());
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("document values are plain numbers", e);
        }
        update("INSERT OR REPLACE INTO calibration_results (model, term, documents, tokens) VALUES (?, ?, ?, ?)",
                row.model(), row.term(), json, row.tokens());
    }

    /** Every calibration row, in the order they were recorded. */
    public List<CalibrationRow> calibration() {
        List<CalibrationRow> out = new ArrayList<>();
        if (!hasTable("calibration_results")) {
            return out;
        }
        try (Statement st = store.connection().createStatement();
             ResultSet rs = st.executeQuery("SELECT model, term, documents, tokens FROM calibration_results"
                     + " ORDER BY rowid")) {
            while (rs.next()) {
                Map<Integer, Double> values = JSON.readValue(rs.getString(3), new TypeReference<Map<Integer, Double>>() {
                });
                out.add(new CalibrationRow(rs.getString(1), rs.getString(2), new TreeMap<>(values), integer(rs, 4)));
            }
        } catch (SQLException | JsonProcessingException e) {
            throw failure("read the calibration results of", e);
        }
        return out;
    }

    public void putEstimator(String term, String method, String estimatorJson) {
        update("INSERT OR REPLACE INTO fitness_estimators (term, method, estimator) VALUES (?, ?, ?)", term, method,
                estimatorJson);
    }

    /** The fitted estimators' JSON by fitness term, for one method; empty before calibration ended. */
    public Map<String, String> estimators(String method) {
        Map<String, String> out = new LinkedHashMap<>();
        if (!hasTable("fitness_estimators")) {
            return out;
        }
        try (PreparedStatement ps = store.connection().prepareStatement(
                "SELECT term, estimator FROM fitness_estimators WHERE method = ? ORDER BY term")) {
            ps.setString(1, method);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getString(2));
                }
            }
        } catch (SQLException e) {
            throw failure("read the fitted estimators of", e);
        }
        return out;
    }

    /** Total tokens scored: every candidate's evaluations and every calibration model's. */
    public long tokensScored() {
        long total = 0;
        for (CandidateFitness c : candidates()) {
            total += Optional.ofNullable(c.tokens()).orElse(0L) + Optional.ofNullable(c.fullTokens()).orElse(0L);
        }
        Map<String, Long> byModel = new LinkedHashMap<>();
        for (CalibrationRow r : calibration()) {
            if (r.model().startsWith(INPUT_MODEL_PREFIX) && r.tokens() != null) {
                byModel.put(r.model(), r.tokens()); // one evaluation scored all of a model's terms
            }
        }
        return total + byModel.values().stream().mapToLong(Long::longValue).sum();
    }

    /** Calibration rows of input models are named by this prefix and the model's path (candidates: "g0-i3"). */
    public static final String INPUT_MODEL_PREFIX = "input:";

    private boolean hasTable(String name) {
        try (PreparedStatement ps = store.connection().prepareStatement(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?")) {
            ps.setString(1, name);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next();
            }
        } catch (SQLException e) {
            throw failure("read", e);
        }
    }

    private void update(String sql, Object... args) {
        if (!writable) {
            throw new IllegalStateException("this fitness store was opened for reading");
        }
        try (PreparedStatement ps = store.connection().prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                Object a = args[i];
                if (a == null) {
                    ps.setNull(i + 1, Types.NULL);
                } else if (a instanceof Integer n) {
                    ps.setInt(i + 1, n);
                } else if (a instanceof Long n) {
                    ps.setLong(i + 1, n);
                } else if (a instanceof Double d) {
                    ps.setDouble(i + 1, d);
                } else {
                    ps.setString(i + 1, a.toString());
                }
            }
            ps.executeUpdate();
        } catch (SQLException e) {
            throw failure("write the fitness tables of", e);
        }
    }

    private static Double real(ResultSet rs, int column) throws SQLException {
        double v = rs.getDouble(column);
        return rs.wasNull() ? null : v;
    }

    private static Long integer(ResultSet rs, int column) throws SQLException {
        long v = rs.getLong(column);
        return rs.wasNull() ? null : v;
    }

    private EvomergeException failure(String what, Exception e) {
        return EvomergeException.runtime("Cannot " + what + " " + store.file() + ": " + e.getMessage(), e);
    }
}
