package dev.evomerge.evolve.store;

/** Keys of the run-level values in run.db's meta table; the dashboard and reports read them. */
public final class RunMeta {

    /** The genome file as the user wrote it (YAML text). */
    public static final String CONFIG_YAML = "config_yaml";
    /** The command-line options as JSON, never with secrets. */
    public static final String OPTIONS = "options";
    /** The gene layout as JSON, written and read as a {@link StoredLayout} ({@link RunStore#putLayout}, {@link RunStore#layout}). */
    public static final String LAYOUT = "layout";
    /** The fitness terms as JSON: [{name, weight, metric}]. */
    public static final String TASKS = "tasks";
    /** The optimizer's name. */
    public static final String OPTIMIZER = "optimizer";
    /** running, completed or failed. */
    public static final String STATUS = "status";
    /** The last error of a failed run. */
    public static final String ERROR = "error";

    private RunMeta() {
    }
}
