package dev.evomerge.evolve.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.Reasons;
import dev.evomerge.engine.chat.ChatMessage;
import dev.evomerge.evolve.llm.LlmExchange;
import dev.evomerge.evolve.llm.TokenUsage;
import dev.evomerge.evolve.run.Candidate;
import dev.evomerge.evolve.run.Evaluation;
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
import java.util.Map;
import java.util.Optional;

/**
 * A run's single source of truth: STORAGE/run.db, SQLite in WAL mode (readers such as the dashboard work while the run
 * writes). Every write is its own transaction, so a run killed at any moment loses at most the candidate in flight.
 */
public final class RunStore implements AutoCloseable {

    public static final String FILE_NAME = "run.db";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SCHEMA_VERSION = 1;
    /** The candidates table's status of a candidate that produced a score, and of one that failed. */
    private static final String STATUS_OK = "OK";
    private static final String STATUS_FAILED = "FAILED";

    private final Path file;
    private final Connection db;

    private RunStore(Path file, Connection db) {
        this.file = file;
        this.db = db;
    }

    /** Opens (creating if needed) STORAGE/run.db for writing. */
    public static RunStore open(Path storage) {
        try {
            Files.createDirectories(storage);
        } catch (java.io.IOException e) {
            throw EvomergeException.usage("Cannot create the storage path " + storage + ": " + Reasons.of(e) + ".", e);
        }
        Path file = storage.resolve(FILE_NAME);
        try {
            Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
            try (Statement st = c.createStatement()) {
                st.execute("PRAGMA journal_mode=WAL");
                st.execute("PRAGMA synchronous=FULL");
                st.execute("PRAGMA busy_timeout=10000");
                st.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
                st.execute("""
                        CREATE TABLE IF NOT EXISTS candidates (
                          generation INTEGER NOT NULL, idx INTEGER NOT NULL, genes TEXT NOT NULL, merge_yaml TEXT,
                          score REAL, metrics TEXT NOT NULL, status TEXT NOT NULL, error TEXT,
                          merge_seconds REAL, eval_seconds REAL, worker TEXT,
                          created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
                          PRIMARY KEY (generation, idx))""");
                st.execute("""
                        CREATE TABLE IF NOT EXISTS llm_exchanges (
                          id INTEGER PRIMARY KEY AUTOINCREMENT, generation INTEGER NOT NULL, attempt INTEGER NOT NULL,
                          messages TEXT NOT NULL, reply TEXT, thought TEXT, latency_ms INTEGER, error TEXT,
                          fallback INTEGER NOT NULL,
                          created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
                          kind TEXT, http_status INTEGER, prompt_tokens INTEGER, completion_tokens INTEGER,
                          tokens_estimated INTEGER)""");
                addMissingColumns(c);
                st.execute("""
                        CREATE TABLE IF NOT EXISTS optimizer_states (
                          generation INTEGER PRIMARY KEY, optimizer TEXT NOT NULL, state TEXT NOT NULL,
                          created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')))""");
                st.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', '" + SCHEMA_VERSION + "')");
            }
            return new RunStore(file, c);
        } catch (SQLException e) {
            throw EvomergeException.runtime("Cannot open the run store " + file + ": " + e.getMessage(), e);
        }
    }

    /** Runs stored before retries were recorded lack kind and http_status; a resumed run adds them. */
    private static void addMissingColumns(Connection c) throws SQLException {
        if (!hasColumn(c, "llm_exchanges", "kind")) {
            try (Statement st = c.createStatement()) {
                st.execute("ALTER TABLE llm_exchanges ADD COLUMN kind TEXT");
                st.execute("ALTER TABLE llm_exchanges ADD COLUMN http_status INTEGER");
            }
        }
        if (!hasColumn(c, "llm_exchanges", "prompt_tokens")) { // runs stored before token usage was
            try (Statement st = c.createStatement()) {
                st.execute("ALTER TABLE llm_exchanges ADD COLUMN prompt_tokens INTEGER");
                st.execute("ALTER TABLE llm_exchanges ADD COLUMN completion_tokens INTEGER");
                st.execute("ALTER TABLE llm_exchanges ADD COLUMN tokens_estimated INTEGER");
            }
        }
    }

    private static boolean hasColumn(Connection c, String table, String column) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("PRAGMA table_info(" + table + ")")) {
            while (rs.next()) {
                if (column.equalsIgnoreCase(rs.getString("name"))) {
                    return true;
                }
            }
            return false;
        }
    }

    /**
     * Opens an existing run.db for reading only (the dashboard and reports): creates nothing and never writes,
     * so it can be used while a run holds the file. A run in a folder this user cannot write (another user's run, a
     * read-only mount) is read as the immutable file it is once its run has ended; while its write-ahead log still
     * holds data SQLite needs write access beside the file, and the sentence says so.
     */
    public static RunStore openReadOnly(Path storage) {
        Path file = Files.isDirectory(storage) ? storage.resolve(FILE_NAME) : storage;
        if (!Files.isRegularFile(file)) {
            throw EvomergeException.usage("No run store at " + file + ": pass the --storage-path of an evolution run.");
        }
        try {
            try {
                return connectReadOnly(file, "jdbc:sqlite:" + file);
            } catch (org.sqlite.SQLiteException e) {
                if (!needsWriteAccessBeside(e)) {
                    throw e;
                }
                Path wal = file.resolveSibling(file.getFileName() + "-wal");
                if (Files.exists(wal) && Files.size(wal) > 0) {
                    throw EvomergeException.usage("Cannot read " + file + " while its run is writing it: this user cannot"
                            + " write to " + file.toAbsolutePath().getParent() + ", which SQLite needs to read a run in"
                            + " progress; read it as the run's owner, or once the run has ended.", e);
                }
                // No write-ahead log: the file holds everything, and nothing will change it under us.
                return connectReadOnly(file, "jdbc:sqlite:" + file.toAbsolutePath().toUri() + "?immutable=1");
            }
        } catch (SQLException e) {
            throw EvomergeException.runtime("Cannot open the run store " + file + " for reading: " + e.getMessage(), e);
        } catch (java.io.IOException e) {
            throw EvomergeException.runtime("Cannot read " + file + ": " + dev.evomerge.core.io.Reasons.of(e) + ".", e);
        }
    }

    private static RunStore connectReadOnly(Path file, String url) throws SQLException {
        org.sqlite.SQLiteConfig config = new org.sqlite.SQLiteConfig();
        config.setReadOnly(true);
        config.setBusyTimeout(10000);
        Connection c = DriverManager.getConnection(url, config.toProperties());
        try {
            requireRunStore(file, c);
        } catch (RuntimeException | SQLException e) {
            c.close();
            throw e;
        }
        return new RunStore(file, c);
    }

    /** SQLite's answer when reading a WAL-mode file needs a -shm/-wal file that this user cannot create. */
    private static boolean needsWriteAccessBeside(org.sqlite.SQLiteException e) {
        String code = e.getResultCode().name();
        return code.startsWith("SQLITE_READONLY") || code.startsWith("SQLITE_CANTOPEN");
    }

    /** Refuses, with the reason, a file that is empty, not SQLite, or an SQLite database of something else. */
    private static void requireRunStore(Path file, Connection c) throws SQLException {
        try (Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                     + " AND name IN ('meta', 'candidates', 'llm_exchanges')")) {
            if (rs.next() && rs.getInt(1) == 3) {
                return;
            }
            long size = Files.size(file);
            throw EvomergeException.usage(file + " is not an evomerge run store: " + (size == 0
                    ? "the file is empty (0 bytes)." : "the SQLite database lacks the meta, candidates and"
                    + " llm_exchanges tables."));
        } catch (java.io.IOException e) {
            throw EvomergeException.runtime("Cannot read " + file + ": " + dev.evomerge.core.io.Reasons.of(e) + ".", e);
        } catch (SQLException e) {
            if (e.getErrorCode() == org.sqlite.SQLiteErrorCode.SQLITE_NOTADB.code
                    || e.getErrorCode() == org.sqlite.SQLiteErrorCode.SQLITE_CORRUPT.code) {
                throw EvomergeException.usage(file + " is not an evomerge run store: it is not a readable SQLite"
                        + " database (" + (e.getErrorCode() == org.sqlite.SQLiteErrorCode.SQLITE_CORRUPT.code
                        ? "the database is corrupt" : "file is not a database") + ").", e);
            }
            throw e;
        }
    }

    /** The open connection, for the stores that keep their own tables in run.db ({@link FitnessStore}). */
    Connection connection() {
        return db;
    }

    public Path file() {
        return file;
    }

    /** Stores a run-level value (the genome file, the options as JSON without secrets, the status). */
    public void putMeta(String key, String value) {
        update("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value", key, value);
    }

    public Optional<String> meta(String key) {
        return queryOne("SELECT value FROM meta WHERE key = ?", rs -> rs.getString(1), key);
    }

    /**
     * Records a candidate once; recording the same (generation, index) again replaces it (a re-dispatched evaluation).
     * Its metrics are stored as {"task/metric": value} sorted by key, its status as OK or FAILED, a failure's score as NULL.
     */
    public void recordCandidate(Evaluation e) {
        Candidate c = e.candidate();
        update("""
                INSERT OR REPLACE INTO candidates(generation, idx, genes, merge_yaml, score, metrics, status, error,
                  merge_seconds, eval_seconds, worker) VALUES (?,?,?,?,?,?,?,?,?,?,?)""",
                c.generation(), c.index(), json(c.genes()), c.mergeYaml(),
                Double.isFinite(e.score()) ? e.score() : null, json(MetricKey.toText(e.metrics())),
                e.ok() ? STATUS_OK : STATUS_FAILED, e.error(), e.mergeSeconds(), e.evalSeconds(), e.worker());
    }

    /** All candidates of one generation, by index. */
    public List<Evaluation> candidates(int generation) {
        return queryAll("SELECT * FROM candidates WHERE generation = ? ORDER BY idx", RunStore::candidate, generation);
    }

    /** Every candidate of the run, by generation then index. */
    public List<Evaluation> allCandidates() {
        return queryAll("SELECT * FROM candidates ORDER BY generation, idx", RunStore::candidate);
    }

    /** Stores the run's gene layout. */
    public void putLayout(StoredLayout layout) {
        putMeta(RunMeta.LAYOUT, json(layout));
    }

    /** The run's gene layout; empty when none was stored or the stored value is not a layout. */
    public Optional<StoredLayout> layout() {
        return meta(RunMeta.LAYOUT).flatMap(text -> {
            try {
                return Optional.of(JSON.readValue(text, StoredLayout.class));
            } catch (JsonProcessingException e) {
                return Optional.empty();
            }
        });
    }

    public void recordExchange(LlmExchange x) {
        update("""
                INSERT INTO llm_exchanges(generation, attempt, messages, reply, thought, latency_ms, error, fallback, kind,
                  http_status, prompt_tokens, completion_tokens, tokens_estimated) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)""",
                x.generation(), x.attempt(), json(x.sent()), x.reply(), x.thought(), x.latencyMillis(), x.error(),
                x.fallback() ? 1 : 0, x.kind(), x.httpStatus(), x.usage() == null ? null : x.usage().promptTokens(),
                x.usage() == null ? null : x.usage().completionTokens(),
                x.usage() == null ? null : (x.usage().estimated() ? 1 : 0));
    }

    public List<LlmExchange> exchanges() {
        return queryAll("SELECT * FROM llm_exchanges ORDER BY id", rs -> {
            LlmExchange x = new LlmExchange(rs.getInt("generation"), rs.getInt("attempt"),
                    JSON.readValue(rs.getString("messages"), new TypeReference<List<ChatMessage>>() { }),
                    rs.getString("reply"), rs.getString("thought"), rs.getLong("latency_ms"), rs.getString("error"),
                    rs.getInt("fallback") != 0);
            if (!hasColumn(rs, "kind") || rs.getString("kind") == null) {
                return x; // a row stored before kinds were: derived from its fields
            }
            int status = rs.getInt("http_status");
            Integer httpStatus = rs.wasNull() ? null : status;
            TokenUsage usage = null;
            if (hasColumn(rs, "prompt_tokens")) {
                int in = rs.getInt("prompt_tokens");
                if (!rs.wasNull()) {
                    usage = new TokenUsage(in, rs.getInt("completion_tokens"), rs.getInt("tokens_estimated") != 0);
                }
            }
            return new LlmExchange(x.generation(), x.attempt(), x.sent(), x.reply(), x.thought(), x.latencyMillis(),
                    x.error(), x.fallback(), rs.getString("kind"), httpStatus, usage);
        });
    }

    private static boolean hasColumn(ResultSet rs, String column) throws SQLException {
        var md = rs.getMetaData();
        for (int i = 1; i <= md.getColumnCount(); i++) {
            if (column.equalsIgnoreCase(md.getColumnName(i))) {
                return true;
            }
        }
        return false;
    }

    /** The optimizer's state after generation {@code generation} was told (the resume point). */
    public void saveOptimizerState(int generation, String optimizer, Record state) {
        update("INSERT OR REPLACE INTO optimizer_states(generation, optimizer, state) VALUES (?,?,?)",
                generation, optimizer, json(state));
    }

    /** The latest saved optimizer state: generation, optimizer name and the state as JSON. */
    public record SavedState(int generation, String optimizer, String stateJson) {
        public <T> T as(Class<T> type) {
            try {
                return JSON.readValue(stateJson, type);
            } catch (JsonProcessingException e) {
                throw EvomergeException.usage("The optimizer state of generation " + generation + " in run.db cannot be read as "
                        + optimizer + " state: " + e.getOriginalMessage() + ".", e);
            }
        }
    }

    public Optional<SavedState> latestOptimizerState() {
        return queryOne("SELECT generation, optimizer, state FROM optimizer_states ORDER BY generation DESC LIMIT 1",
                rs -> new SavedState(rs.getInt(1), rs.getString(2), rs.getString(3)));
    }

    @Override
    public void close() {
        try {
            db.close();
        } catch (SQLException e) {
            throw EvomergeException.runtime("Cannot close the run store " + file + ": " + e.getMessage(), e);
        }
    }

    /** A stored candidate; a failure's NULL score reads as negative infinity, and only a failure has an error. */
    private static Evaluation candidate(ResultSet rs) throws Exception {
        double score = rs.getDouble("score");
        if (rs.wasNull()) {
            score = Double.NEGATIVE_INFINITY;
        }
        boolean ok = STATUS_OK.equals(rs.getString("status"));
        int generation = rs.getInt("generation");
        int index = rs.getInt("idx");
        Candidate c = Candidate.stored(generation, index, JSON.readValue(rs.getString("genes"), double[].class),
                rs.getString("merge_yaml"), "run.db candidate " + generation + "/" + index);
        return new Evaluation(c, score,
                MetricKey.fromText(JSON.readValue(rs.getString("metrics"), new TypeReference<Map<String, Double>>() { })),
                ok ? null : rs.getString("error"), rs.getDouble("merge_seconds"), rs.getDouble("eval_seconds"),
                rs.getString("worker"));
    }

    private static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("run-store values are plain data", e);
        }
    }

    private interface Row<T> {
        T read(ResultSet rs) throws Exception;
    }

    private synchronized void update(String sql, Object... args) {
        try (PreparedStatement ps = db.prepareStatement(sql)) {
            bind(ps, args);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw EvomergeException.runtime("Cannot write to the run store " + file + ": " + e.getMessage(), e);
        }
    }

    private synchronized <T> List<T> queryAll(String sql, Row<T> row, Object... args) {
        try (PreparedStatement ps = db.prepareStatement(sql)) {
            bind(ps, args);
            List<T> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(row.read(rs));
                }
            }
            return out;
        } catch (Exception e) {
            throw EvomergeException.runtime("Cannot read the run store " + file + ": " + e.getMessage(), e);
        }
    }

    private <T> Optional<T> queryOne(String sql, Row<T> row, Object... args) {
        List<T> all = queryAll(sql, row, args);
        return all.isEmpty() ? Optional.empty() : Optional.of(all.get(0));
    }

    private static void bind(PreparedStatement ps, Object... args) throws SQLException {
        for (int i = 0; i < args.length; i++) {
            ps.setObject(i + 1, args[i]);
        }
    }
}
