package dev.evomerge.merge.testing;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Straightforward float64 implementations of mergekit's merge formulas (docs/merging.md, "Numerics", lists each
 * method's operations), written for end-to-end tests independently of the production methods. Where mergekit takes a
 * decision on float32 values (task vectors, sign votes, magnitude ranks) the inputs are rounded to float32 first, so
 * decisions agree with a float32 implementation.
 */
public final class Reference {

    private Reference() {
    }

    public static double f32(double v) {
        return (float) v;
    }

    // ---- linear

    public static double[] linear(List<double[]> xs, double[] w, boolean normalize) {
        int n = xs.getFirst().length;
        double[] out = new double[n];
        double sw = 0;
        for (double wi : w) {
            sw += f32(wi);
        }
        for (int e = 0; e < n; e++) {
            double s = 0;
            for (int i = 0; i < xs.size(); i++) {
                s += f32(w[i]) * xs.get(i)[e];
            }
            out[e] = normalize ? s / sw : s;
        }
        return out;
    }

    // ---- generalized task arithmetic

    /** How task vectors are pruned before mixing. */
    public enum Prune { NONE, MAGNITUDE, OUTLIERS }

    /**
     * The GTA family with deterministic sparsification.
     *
     * @param gamma breadcrumbs' outlier fraction (OUTLIERS only)
     */
    public static double[] gta(double[] base, List<double[]> xs, double[] w, double[] density, Prune prune,
                               double gamma, boolean consensus, boolean normalize, double lambda) {
        int n = base.length;
        List<double[]> deltas = new ArrayList<>();
        for (int i = 0; i < xs.size(); i++) {
            double[] d = new double[n];
            for (int e = 0; e < n; e++) {
                d[e] = f32(xs.get(i)[e] - base[e]);
            }
            deltas.add(switch (prune) {
                case NONE -> d;
                case MAGNITUDE -> keepByRank(d, density[i], 0, (long) (density[i] * n));
                case OUTLIERS -> outliers(d, density[i], gamma);
            });
        }
        double[] out = new double[n];
        for (int e = 0; e < n; e++) {
            double[] wd = new double[xs.size()];
            double sum = 0;
            for (int i = 0; i < xs.size(); i++) {
                wd[i] = f32(deltas.get(i)[e] * f32(w[i]));
                sum += wd[i];
            }
            double mixed = 0;
            double div = 0;
            double majority = sum >= 0 ? 1 : -1;
            for (int i = 0; i < xs.size(); i++) {
                boolean keep = !consensus || Math.signum(wd[i]) == majority;
                if (keep) {
                    mixed += wd[i];
                    div += f32(w[i]);
                }
            }
            if (consensus ? div == 0 : Math.abs(div) < 1e-8) {
                div = 1;
            }
            if (normalize) {
                mixed /= div;
            }
            out[e] = base[e] + mixed * lambda;
        }
        return out;
    }

    /** Keeps the elements of descending-|d| rank in [lo, hi) (density >= 1 keeps everything). */
    private static double[] keepByRank(double[] d, double density, long lo, long hi) {
        if (density >= 1) {
            return d;
        }
        Integer[] order = IntStream.range(0, d.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -Math.abs(d[i])));
        double[] out = new double[d.length];
        for (long r = Math.max(0, lo); r < Math.min(hi, d.length); r++) {
            out[order[(int) r]] = d[order[(int) r]];
        }
        return out;
    }

    /** Breadcrumbs: drop the int(gamma·N) largest, keep the next int(density·N). */
    private static double[] outliers(double[] d, double density, double gamma) {
        if (density >= 1) {
            return d;
        }
        long n = d.length;
        long target = (long) (density * n);
        long top = (long) (gamma * n);
        long bottom = n - target - top;
        if (bottom < 0) {
            top += bottom;
        }
        return keepByRank(d, density, top, top + target);
    }

    // ---- slerp family

    public static double norm(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x * x;
        }
        return Math.sqrt(s);
    }

    public static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    public static double[] slerp(double t, double[] v0, double[] v1) {
        double n0 = norm(v0);
        double n1 = norm(v1);
        double d = 0;
        for (int i = 0; i < v0.length; i++) {
            d += (n0 > 1e-8 ? v0[i] / n0 : v0[i]) * (n1 > 1e-8 ? v1[i] / n1 : v1[i]);
        }
        double[] out = new double[v0.length];
        if (Math.abs(d) > 0.9995) {
            for (int i = 0; i < out.length; i++) {
                out[i] = (1 - t) * v0[i] + t * v1[i];
            }
            return out;
        }
        double theta = Math.acos(d);
        double s0 = Math.sin(theta - theta * t) / Math.sin(theta);
        double s1 = Math.sin(theta * t) / Math.sin(theta);
        for (int i = 0; i < out.length; i++) {
            out[i] = s0 * v0[i] + s1 * v1[i];
        }
        return out;
    }

    /** nuslerp with flatten (the default): whole tensors as vectors; base may be null. */
    public static double[] nuslerp(double[] base, double[] x1, double[] x2, double w1, double w2) {
        double t = Math.abs(w1 + w2) < 1e-6 ? 0.5 : w2 / (w1 + w2);
        double[] v0 = base == null ? x1 : minus(x1, base);
        double[] v1 = base == null ? x2 : minus(x2, base);
        double n0 = Math.max(norm(v0), 1e-7);
        double n1 = Math.max(norm(v1), 1e-7);
        double cos = Math.max(-1, Math.min(1, dot(v0, v1) / (n0 * n1)));
        double theta = Math.acos(cos);
        double sin = Math.sin(theta);
        double[] out = new double[v0.length];
        for (int i = 0; i < out.length; i++) {
            double r = Math.abs(sin) < 1e-8 ? (1 - t) * v0[i] + t * v1[i]
                    : (Math.sin((1 - t) * theta) * v0[i] + Math.sin(t * theta) * v1[i]) / sin;
            out[i] = base == null ? r : r + base[i];
        }
        return out;
    }

    public static double[] multislerp(double[] base, List<double[]> xs, double[] weights) {
        double eps = 1e-8;
        int n = xs.getFirst().length;
        double sw = Arrays.stream(weights).sum();
        double[] w = Arrays.stream(weights).map(x -> x / sw).toArray();
        List<double[]> f = xs.stream().map(x -> base == null ? x : minus(x, base)).toList();
        double[] norms = f.stream().mapToDouble(Reference::norm).toArray();
        List<double[]> u = new ArrayList<>();
        double[] m = new double[n];
        for (int i = 0; i < f.size(); i++) {
            double[] ui = new double[n];
            for (int e = 0; e < n; e++) {
                ui[e] = f.get(i)[e] / (norms[i] + eps);
                m[e] += w[i] * ui[e];
            }
            u.add(ui);
        }
        double mn = norm(m);
        double[] mh = Arrays.stream(m).map(x -> x / mn).toArray();
        double[] tan = new double[n];
        for (int i = 0; i < f.size(); i++) {
            double proj = dot(u.get(i), mh);
            for (int e = 0; e < n; e++) {
                tan[e] += w[i] * (u.get(i)[e] - proj * mh[e]);
            }
        }
        double tn = norm(tan) + eps;
        double scale = 0;
        for (int i = 0; i < f.size(); i++) {
            scale += norms[i] * w[i];
        }
        double[] out = new double[n];
        for (int e = 0; e < n; e++) {
            out[e] = (mh[e] * Math.cos(tn) + tan[e] * Math.sin(tn) / tn) * scale + (base == null ? 0 : base[e]);
        }
        return out;
    }

    public static double[] karcher(List<double[]> xs, int maxIter, double tol) {
        int n = xs.getFirst().length;
        int count = xs.size();
        double alpha = 1.0 / count;
        double[] norms = xs.stream().mapToDouble(Reference::norm).toArray();
        List<double[]> units = new ArrayList<>();
        List<Double> alphas = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            if (norms[i] > tol) {
                double ni = norms[i];
                units.add(Arrays.stream(xs.get(i)).map(x -> x / ni).toArray());
                alphas.add(alpha);
            }
        }
        double asum = alphas.stream().mapToDouble(Double::doubleValue).sum();
        double[] a = alphas.stream().mapToDouble(x -> x / asum).toArray();
        double[] u = new double[n];
        for (int i = 0; i < units.size(); i++) {
            for (int e = 0; e < n; e++) {
                u[e] += a[i] * units.get(i)[e];
            }
        }
        double un = norm(u);
        if (un < tol) {
            u = units.getFirst().clone();
        } else {
            for (int e = 0; e < n; e++) {
                u[e] /= un;
            }
        }
        for (int it = 0; it < maxIter; it++) {
            double[] tan = new double[n];
            for (int i = 0; i < units.size(); i++) {
                double c = Math.max(-1, Math.min(1, dot(u, units.get(i))));
                double theta = Math.acos(c);
                if (theta < tol) {
                    continue;
                }
                double k = a[i] * theta / Math.sin(theta);
                for (int e = 0; e < n; e++) {
                    tan[e] += k * (units.get(i)[e] - c * u[e]);
                }
            }
            double tnorm = norm(tan);
            if (tnorm < tol) {
                break;
            }
            double[] next = new double[n];
            for (int e = 0; e < n; e++) {
                next[e] = Math.cos(tnorm) * u[e] + Math.sin(tnorm) * tan[e] / tnorm;
            }
            double nn = norm(next);
            if (nn > tol) {
                for (int e = 0; e < n; e++) {
                    next[e] /= nn;
                }
            }
            u = next;
        }
        double scale = 0;
        for (double ni : norms) {
            scale += alpha * ni;
        }
        double[] out = new double[n];
        for (int e = 0; e < n; e++) {
            out[e] = scale * u[e];
        }
        return out;
    }

    // ---- others

    public static double[] modelStock(double[] base, List<double[]> xs) {
        int count = xs.size();
        List<double[]> o = xs.stream().map(x -> minus(x, base)).toList();
        double cos = 0;
        int pairs = 0;
        for (int i = 0; i < count; i++) {
            for (int j = i + 1; j < count; j++) {
                double c = dot(o.get(i), o.get(j)) / Math.max(norm(o.get(i)) * norm(o.get(j)), 1e-6);
                cos += Math.max(-1, Math.min(1, c));
                pairs++;
            }
        }
        cos /= pairs;
        double t = count * cos / (1 + (count - 1) * cos);
        double[] out = new double[base.length];
        for (int e = 0; e < base.length; e++) {
            double mean = 0;
            for (double[] x : xs) {
                mean += x[e];
            }
            mean /= count;
            out[e] = t * mean + (1 - t) * base[e];
        }
        return out;
    }

    public static double[] nearswap(double[] a, double[] b, double t) {
        double[] out = new double[a.length];
        for (int e = 0; e < a.length; e++) {
            double w = Math.max(0, Math.min(1, t / Math.max(Math.abs(a[e] - b[e]), 1e-6)));
            out[e] = w * b[e] + (1 - w) * a[e];
        }
        return out;
    }

    /** arcee_fusion on tensors of at most 10^6 elements (no sampling); rows along the last dim. */
    public static double[] arceeFusion(double[] a, double[] b, int cols) {
        int n = a.length;
        int rows = n / cols;
        double[] imp = new double[n];
        for (int r = 0; r < rows; r++) {
            double[] p = softmax(b, r * cols, cols);
            double[] q = softmax(a, r * cols, cols);
            double kl = 0;
            for (int c = 0; c < cols; c++) {
                double pc = p[c] + 1e-8;
                double qc = q[c] + 1e-8;
                kl += pc * Math.log(pc / qc);
            }
            for (int c = 0; c < cols; c++) {
                imp[r * cols + c] = Math.abs(b[r * cols + c] - a[r * cols + c]) * kl;
            }
        }
        double[] sorted = imp.clone();
        Arrays.sort(sorted);
        double median = sorted[(int) (0.5 * (n - 1))];
        double q1 = sorted[(int) (0.25 * (n - 1))];
        double q3 = sorted[(int) (0.75 * (n - 1))];
        double thr = median + 1.5 * (q3 - q1);
        double[] out = new double[n];
        for (int e = 0; e < n; e++) {
            out[e] = imp[e] >= thr ? b[e] : a[e];
        }
        return out;
    }

    private static double[] softmax(double[] x, int from, int len) {
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < len; i++) {
            max = Math.max(max, x[from + i]);
        }
        double[] out = new double[len];
        double s = 0;
        for (int i = 0; i < len; i++) {
            out[i] = Math.exp(x[from + i] - max);
            s += out[i];
        }
        for (int i = 0; i < len; i++) {
            out[i] /= s;
        }
        return out;
    }

    public static double[] sce(double[] base, List<double[]> xs, double topk) {
        int n = base.length;
        int count = xs.size();
        List<double[]> tv = new ArrayList<>();
        for (double[] x : xs) {
            tv.add(Arrays.stream(minus(x, base)).map(Reference::f32).toArray());
        }
        if (topk < 1) {
            double[] var = new double[n];
            int nonzero = 0;
            for (int e = 0; e < n; e++) {
                double mean = 0;
                for (double[] t : tv) {
                    mean += t[e];
                }
                mean /= count;
                for (double[] t : tv) {
                    var[e] += (t[e] - mean) * (t[e] - mean) / count;
                }
                nonzero += var[e] != 0 ? 1 : 0;
            }
            int k = (int) (nonzero * topk);
            double[] mask = keepByRank(var, topk, 0, k);
            for (double[] t : tv) {
                for (int e = 0; e < n; e++) {
                    t[e] = mask[e] != 0 ? t[e] : 0;
                }
            }
        }
        double[] s = new double[count];
        double ssum = 0;
        for (int i = 0; i < count; i++) {
            s[i] = dot(tv.get(i), tv.get(i)) / n;
            ssum += s[i];
        }
        for (int i = 0; i < count; i++) {
            s[i] = Math.abs(ssum) < 1e-6 ? 1.0 / count : s[i] / ssum;
        }
        double[] out = new double[n];
        for (int e = 0; e < n; e++) {
            double sum = 0;
            for (double[] t : tv) {
                sum += t[e];
            }
            double majority = sum >= 0 ? 1 : -1;
            double num = 0;
            double den = 0;
            for (int i = 0; i < count; i++) {
                if (Math.signum(tv.get(i)[e]) == majority) {
                    num += tv.get(i)[e] * s[i];
                    den += s[i];
                }
            }
            out[e] = base[e] + num / Math.max(den, 1e-6);
        }
        return out;
    }

    /** ram (plus = false) and ramplus_tl (plus = true). */
    public static double[] ram(double[] base, List<double[]> xs, boolean plus, double r, double alpha,
                               double eps) {
        int n = base.length;
        int count = xs.size();
        List<double[]> tv = xs.stream().map(x -> Arrays.stream(minus(x, base)).map(Reference::f32).toArray())
                .toList();
        int[] c = new int[n];
        for (double[] t : tv) {
            for (int e = 0; e < n; e++) {
                c[e] += Math.abs(t[e]) > eps ? 1 : 0;
            }
        }
        double[] lambda = new double[count];
        Arrays.fill(lambda, 1);
        if (plus) {
            for (int i = 0; i < count; i++) {
                long over = 0;
                long uniq = 0;
                for (int e = 0; e < n; e++) {
                    boolean nz = Math.abs(tv.get(i)[e]) > eps;
                    over += nz && c[e] > 1 ? 1 : 0;
                    uniq += nz && c[e] == 1 ? 1 : 0;
                }
                double rho = over / Math.max(uniq, eps);
                lambda[i] = 1 + r * Math.max(0, Math.min(alpha, rho));
            }
        }
        double[] out = new double[n];
        for (int e = 0; e < n; e++) {
            double sum = 0;
            for (int i = 0; i < count; i++) {
                double t = tv.get(i)[e];
                if (Math.abs(t) > eps) {
                    sum += c[e] == 1 ? t * lambda[i] : t / Math.max(c[e], 1);
                }
            }
            out[e] = base[e] + sum;
        }
        return out;
    }

    public static double[] minus(double[] a, double[] b) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] - b[i];
        }
        return out;
    }

    public static double[] scale(double[] a, double s) {
        return Arrays.stream(a).map(x -> x * s).toArray();
    }
}
