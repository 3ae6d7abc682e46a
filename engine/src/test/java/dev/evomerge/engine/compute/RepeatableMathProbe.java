package dev.evomerge.engine.compute;

import jdk.incubator.vector.FloatVector;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * Runs every JIT-sensitive row operation of the forward pass on fixed inputs and prints one SHA-256 of all their
 * output bits: {@link RepeatableMathTest} compares it between a JVM that only interprets and one that has compiled
 * them with C2 during its warm-up runs.
 */
final class RepeatableMathProbe {

    private RepeatableMathProbe() {
    }

    /** Prints the digest after {@code args[0]} (default 0) runs that let the JIT compile the operations. */
    public static void main(String[] args) throws Exception {
        int warmUps = args.length > 0 ? Integer.parseInt(args[0]) : 0;
        for (int i = 0; i < warmUps; i++) {
            digest();
        }
        System.out.println(digest());
    }

    static String digest() throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        SplittableRandom rnd = new SplittableRandom(5);
        int n = 5 * Simd.LANES + 7; // whole vectors and a scalar tail
        for (int round = 0; round < 40; round++) {
            float[] x = new float[n];
            for (int i = 0; i < n; i++) {
                x[i] = (float) (rnd.nextDouble() * 200 - 105); // e^x from underflow to overflow
            }
            float[] e = new float[n];
            int i = 0;
            for (; i + Simd.LANES <= n; i += Simd.LANES) {
                RepeatableMath.exp(FloatVector.fromArray(Simd.F, x, i)).intoArray(e, i);
            }
            for (; i < n; i++) {
                e[i] = RepeatableMath.exp(x[i]);
            }
            put(sha, e);
            float[] g = gaussian(rnd, n, 6);
            float[] up = gaussian(rnd, n, 1);
            float[] out = new float[n];
            VectorMath.siluMul(g, 0, up, 0, n, out, 0);
            put(sha, out);
            VectorMath.rmsNorm(g, 0, up, n, 1e-5f, out, 0);
            put(sha, out);
            float[] scores = gaussian(rnd, n, 8);
            float sum = VectorMath.expInPlace(scores, 0, n, VectorMath.max(scores, 0, n));
            put(sha, scores);
            put(sha, new float[]{sum});
            float[] logits = gaussian(rnd, 40 * Simd.LANES + 3, 4);
            sha.update(ByteBuffer.allocate(8).putDouble(VectorMath.logSumExp(logits, 0, logits.length)).array());
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static float[] gaussian(SplittableRandom rnd, int n, double scale) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (rnd.nextGaussian() * scale);
        }
        return v;
    }

    private static void put(MessageDigest sha, float[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length);
        for (float f : v) {
            b.putInt(Float.floatToRawIntBits(f));
        }
        sha.update(b.array());
    }
}
