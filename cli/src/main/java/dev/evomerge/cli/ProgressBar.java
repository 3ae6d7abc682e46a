package dev.evomerge.cli;

import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * The one progress bar of every long job (model load, merge, evaluation, generations): label, bar, done/total, rate,
 * elapsed time, time left, and an optional live suffix (e.g. best and mean fitness). Redrawn in place at most ten
 * times a second; draws nothing when disabled (standard output is not a terminal, or --quiet). Thread-safe.
 */
final class ProgressBar implements AutoCloseable {

    private static final int WIDTH = 28;
    private static final long REDRAW_NANOS = 100_000_000L;
    /** ANSI "erase to end of line": a shorter redraw must not leave the tail of a longer one (bars draw only on terminals). */
    static final String CLEAR_TO_END = "\u001B[K";

    private final PrintWriter out;
    private final String label;
    private final String unit;
    private final long total;
    private final boolean enabled;
    private final long start = System.nanoTime();
    private Supplier<String> suffix = () -> "";
    private long done;
    private long lastDraw = start - REDRAW_NANOS;
    private boolean closed;

    ProgressBar(PrintWriter out, String label, long total, String unit, boolean enabled) {
        this.out = out;
        this.label = label;
        this.unit = unit;
        this.total = Math.max(1, total);
        this.enabled = enabled;
    }

    /** Whether bars should be drawn: a terminal on standard output and no --quiet. */
    static boolean enabledFor(boolean quiet) {
        return !quiet && System.console() != null && System.console().isTerminal();
    }

    /** Text shown after the figures, re-read at every redraw. */
    synchronized ProgressBar suffix(Supplier<String> s) {
        this.suffix = s;
        return this;
    }

    synchronized void step(long n) {
        set(done + n);
    }

    /** Sets absolute progress (for sources that report totals, like model loading). */
    synchronized void set(long value) {
        if (closed) {
            return;
        }
        done = Math.min(total, value);
        long now = System.nanoTime();
        if (enabled && (now - lastDraw >= REDRAW_NANOS || done == total)) {
            lastDraw = now;
            out.print("\r" + line(now) + CLEAR_TO_END);
            out.flush();
        }
    }

    /** The bar's text at time {@code now} (package-private for tests). */
    synchronized String line(long now) {
        double seconds = Math.max((now - start) / 1e9, 1e-9);
        double rate = done / seconds;
        int filled = (int) (WIDTH * done / total);
        String eta = done < total && rate > 0 ? String.format(Locale.ROOT, ", %s left", duration((total - done) / rate)) : "";
        String extra = suffix.get();
        return String.format(Locale.ROOT, "%s [%s%s] %d/%d %s (%s, %s%s)%s", label, "#".repeat(filled),
                "-".repeat(WIDTH - filled), done, total, unit, rate(rate), duration(seconds), eta,
                extra.isEmpty() ? "" : " " + extra);
    }

    private String rate(double perSecond) {
        return perSecond >= 1 || perSecond == 0 ? String.format(Locale.ROOT, "%.1f %s/s", perSecond, unit)
                : String.format(Locale.ROOT, "%.1f s/%s", 1 / perSecond, unit);
    }

    static String duration(double s) {
        if (s < 60) {
            return String.format(Locale.ROOT, "%.1f s", s);
        }
        long t = Math.round(s);
        return t < 3600 ? String.format(Locale.ROOT, "%dm%02ds", t / 60, t % 60)
                : String.format(Locale.ROOT, "%dh%02dm", t / 3600, (t % 3600) / 60);
    }

    /** A model-load listener drawing a bar over the checkpoint's megabytes, closed when the last tensor is in. */
    static dev.evomerge.engine.LoadListener modelLoad(PrintWriter out, boolean enabled) {
        ProgressBar[] bar = new ProgressBar[1];
        return p -> {
            synchronized (bar) {
                if (bar[0] == null) {
                    bar[0] = new ProgressBar(out, "loading model", Math.max(1, p.bytesTotal() / 1_000_000), "MB", enabled);
                }
                bar[0].set(p.bytesDone() / 1_000_000);
                if (p.tensorsDone() == p.tensorsTotal()) {
                    bar[0].close();
                }
            }
        };
    }

    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            if (enabled) {
                out.print("\r" + line(System.nanoTime()) + CLEAR_TO_END);
                out.println();
                out.flush();
            }
        }
    }
}
