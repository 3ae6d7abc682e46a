package dev.evomerge.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress bar redrawn in place with carriage returns, for terminals. Thread-safe; redraws at most ten
 * times a second and always on completion.
 */
final class TextProgressBar {

    private static final int WIDTH = 30;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintWriter out;
    private final String label;
    private final long total;
    private final long startNanos;
    private long done;
    private long bytes;
    private long lastDraw;
    private boolean closed;

    TextProgressBar(PrintWriter out, String label, long total) {
        this.out = out;
        this.label = label;
        this.total = Math.max(total, 1);
        this.startNanos = System.nanoTime();
        this.lastDraw = startNanos - REDRAW_NANOS;
    }

    /** One more unit done, {@code unitBytes} more bytes processed. */
    synchronized void step(long unitBytes) {
        if (closed) {
            return;
        }
        done++;
        bytes += unitBytes;
        long now = System.nanoTime();
        if (now - lastDraw >= REDRAW_NANOS || done == total) {
            lastDraw = now;
            draw(now);
        }
    }

    /** Ends the line. */
    synchronized void close() {
        if (!closed) {
            closed = true;
            draw(System.nanoTime());
            out.println();
            out.flush();
        }
    }

    private void draw(long now) {
        int filled = (int) (WIDTH * Math.min(done, total) / total);
        double seconds = Math.max((now - startNanos) / 1e9, 1e-9);
        String line = String.format(Locale.ROOT, "\r%s [%s%s] %d/%d %.1f s %.2f GB/s", label, "#".repeat(filled),
                "-".repeat(WIDTH - filled), done, total, seconds, bytes / 1e9 / seconds);
        out.print(line);
        out.flush();
    }
}
