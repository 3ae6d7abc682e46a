package dev.evomerge.cli;

import dev.evomerge.eval.model.Progress;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line bar over evaluation requests, redrawn in place (at most ten times a second) on a terminal: phase,
 * done/total, requests per second and the time left. Thread-safe.
 */
final class EvalProgressBar implements Progress {

    private static final int WIDTH = 30;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintWriter out;
    private final String label;
    private final long total;
    private final long start = System.nanoTime();
    private long done;
    private long lastDraw = start - REDRAW_NANOS;

    EvalProgressBar(PrintWriter out, String label, long total) {
        this.out = out;
        this.label = label;
        this.total = Math.max(1, total);
    }

    @Override
    public synchronized void advance(int n) {
        done = Math.min(total, done + n);
        long now = System.nanoTime();
        if (now - lastDraw >= REDRAW_NANOS || done == total) {
            lastDraw = now;
            draw(now);
        }
    }

    synchronized void finish() {
        draw(System.nanoTime());
        out.println();
        out.flush();
    }

    private void draw(long now) {
        double seconds = Math.max((now - start) / 1e9, 1e-9);
        double rate = done / seconds;
        String eta = rate > 0 && done < total ? String.format(Locale.ROOT, ", %.0f s left", (total - done) / rate) : "";
        int filled = (int) (WIDTH * done / total);
        out.print(String.format(Locale.ROOT, "\r%s [%s%s] %d/%d (%.1f/s%s)", label, "#".repeat(filled),
                "-".repeat(WIDTH - filled), done, total, rate, eta));
        out.flush();
    }
}
