package dev.evomerge.bench;

import dev.evomerge.core.tensor.*;
import java.util.*;
import java.util.concurrent.*;

/** Throwaway: a TensorSink that times each accept and notes which tensors had row targets. */
/** Throwaway: a TensorSink that times each accept and notes which tensors took row targets. */
public final class TimedSink implements TensorSink {
    final TensorSink d;
    final Map<String, Long> acceptNs = new ConcurrentHashMap<>();
    final Set<String> rowed = ConcurrentHashMap.newKeySet();
    final Set<String> targeted = ConcurrentHashMap.newKeySet();
    TimedSink(TensorSink d) { this.d = d; }
    public void accept(String name, Tensor t) { long t0 = System.nanoTime(); d.accept(name, t); acceptNs.merge(name, System.nanoTime() - t0, Long::sum); }
    public RowBlockTarget rowTarget(String name) { RowBlockTarget r = d.rowTarget(name); if (r != null) rowed.add(name); return r; }
    public Tensor target(String name) { Tensor t = d.target(name); if (t != null) targeted.add(name); return t; }
    public void commit() { d.commit(); }
    public void close() { }
    void report() {
        List<Map.Entry<String, Long>> l = new ArrayList<>(acceptNs.entrySet());
        l.sort(Map.Entry.comparingByValue(Comparator.reverseOrder()));
        long total = 0; for (var e : l) total += e.getValue();
        System.out.printf("accept total %.3f s over %d tensors, %d with row targets, %d with targets%n", total / 1e9, l.size(), rowed.size(), targeted.size());
        for (int i = 0; i < 6 && i < l.size(); i++) System.out.printf("  %s %.4f s rowed=%s%n", l.get(i).getKey(), l.get(i).getValue() / 1e9, rowed.contains(l.get(i).getKey()));
    }
}
