package dev.evomerge.evolve.local;

import dev.evomerge.core.EvomergeException;

import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The time one candidate's evaluation may take ({@code --timeout}). Computation in this process (merging, the embedded
 * engine) stops cooperatively: {@link #check()} between batches, because interrupting the engine's or the merge's
 * worker threads could leave them writing into a resident model that the next candidate uses. Waiting on an outside
 * server (its start, its HTTP answers) runs inside {@link #interruptible}: the thread is interrupted when the time is
 * up, which ends a stalled request at once.
 */
final class Deadline implements AutoCloseable {

    /** No limit. */
    static final Deadline NONE = new Deadline();

    private final Object lock = new Object();
    private final ScheduledFuture<?> alarm;
    private boolean expired;
    private Thread waiting;

    private Deadline() {
        this.alarm = null;
    }

    private Deadline(long seconds, ScheduledExecutorService timer) {
        this.alarm = timer.schedule(this::expire, seconds, TimeUnit.SECONDS);
    }

    /** A deadline {@code seconds} from now, kept by {@code timer}. */
    static Deadline after(long seconds, ScheduledExecutorService timer) {
        return new Deadline(seconds, timer);
    }

    private void expire() {
        synchronized (lock) {
            expired = true;
            if (waiting != null) {
                waiting.interrupt();
            }
        }
    }

    boolean expired() {
        synchronized (lock) {
            return expired;
        }
    }

    /** Stops the evaluation (with an exception its caller records) once the time is up. */
    void check() {
        if (expired()) {
            throw EvomergeException.runtime("the evaluation ran past its time limit", null);
        }
    }

    /**
     * Runs a wait on something outside this process; when the time runs out meanwhile, the thread is interrupted (and
     * its interrupt status is cleared again before this returns, so that clean-up after it is not cut short).
     */
    <T> T interruptible(Supplier<T> wait) {
        synchronized (lock) {
            check();
            waiting = Thread.currentThread();
        }
        try {
            return wait.get();
        } finally {
            synchronized (lock) {
                waiting = null;
                if (expired) {
                    Thread.interrupted(); // the interrupt was ours; it happened inside the lock, so it is visible now
                }
            }
        }
    }

    @Override
    public void close() {
        if (alarm != null) {
            alarm.cancel(false);
        }
    }
}
