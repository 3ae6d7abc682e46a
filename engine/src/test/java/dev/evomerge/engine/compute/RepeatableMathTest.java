package dev.evomerge.engine.compute;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** RepeatableMath's exp against float64 Math.exp, its vector and scalar forms, and its bits under every JIT mode. */
class RepeatableMathTest {

    /** Distance in float ulps of {@code got} from the exact {@code want}, at want's float spacing. */
    private static double ulps(float got, double want) {
        return Math.abs(got - want) / Math.ulp((float) want);
    }

    @Test
    void expIsWithinTwoUlpsOfTheExactValueFromUnderflowToOverflow() {
        SplittableRandom rnd = new SplittableRandom(3);
        double worst = 0;
        for (int i = 0; i < 200_000; i++) {
            float x = (float) (rnd.nextDouble() * 190 - 102); // [-102, 88): subnormal, normal and near-max results
            double want = Math.exp(x);
            if (want > Float.MAX_VALUE) {
                continue;
            }
            worst = Math.max(worst, ulps(RepeatableMath.exp(x), want));
        }
        assertThat(worst).isLessThanOrEqualTo(2.0);
        // exp(x) rounds to the nearest float at the ends of the range, as Math.exp's float does
        for (float x : new float[]{0f, -0f, 1f, -1f, 1e-8f, -1e-8f, 88.7f, 88.72f, -87.33f, -100f, -103.9f}) {
            assertThat(ulps(RepeatableMath.exp(x), Math.exp(x))).as("exp(%s)", x).isLessThanOrEqualTo(2.0);
        }
        assertThat(RepeatableMath.exp(0f)).isEqualTo(1f);
        assertThat(RepeatableMath.exp(88.73f)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(RepeatableMath.exp(1e30f)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(RepeatableMath.exp(Float.POSITIVE_INFINITY)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(RepeatableMath.exp(-104f)).isZero();
        assertThat(RepeatableMath.exp(Float.NEGATIVE_INFINITY)).isZero();
        assertThat(RepeatableMath.exp(Float.NaN)).isNaN();
    }

    @Test
    void vectorLanesHaveTheScalarBits() {
        SplittableRandom rnd = new SplittableRandom(4);
        float[] x = new float[Simd.LANES * 4096];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (rnd.nextDouble() * 220 - 115);
        }
        x[0] = Float.NaN;
        x[1] = Float.NEGATIVE_INFINITY;
        x[2] = Float.POSITIVE_INFINITY;
        float[] got = new float[x.length];
        for (int i = 0; i < x.length; i += Simd.LANES) {
            RepeatableMath.exp(FloatVector.fromArray(Simd.F, x, i)).intoArray(got, i);
        }
        for (int i = 0; i < x.length; i++) {
            assertThat(Float.floatToRawIntBits(got[i])).as("lane of exp(%s)", x[i])
                    .isEqualTo(Float.floatToRawIntBits(RepeatableMath.exp(x[i])));
        }
    }

    @Test
    void sumAddsTheLanesInOrder() {
        float[] v = new float[Simd.LANES];
        v[0] = 1e8f;
        v[1] = 3f; // lost against 1e8 when added first, kept when added to the other small lanes first
        for (int i = 2; i < v.length; i++) {
            v[i] = 1f;
        }
        float inOrder = v[0];
        for (int i = 1; i < v.length; i++) {
            inOrder += v[i];
        }
        assertThat(RepeatableMath.sum(FloatVector.fromArray(Simd.F, v, 0))).isEqualTo(inOrder);
    }

    /**
     * The forward pass's JIT-sensitive row operations give the same bits in a JVM that only interprets and in one
     * that has compiled them with C2 (warmed up with compilation in the foreground, -Xbatch, so the last run is
     * compiled code): with the Vector API's own EXP the two digests differed, in about 1 % of the exponentials.
     */
    @Test
    void rowOperationsHaveTheSameBitsInterpretedAndCompiled() throws Exception {
        String interpreted = probe("-Xint", "0");
        String compiled = probe("-Xbatch", "2000");
        assertThat(interpreted).matches("[0-9a-f]{64}");
        assertThat(compiled).isEqualTo(interpreted);
        assertThat(RepeatableMathProbe.digest()).isEqualTo(interpreted);
    }

    private static String probe(String flag, String warmUps) throws IOException, InterruptedException {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-cp", System.getProperty("java.class.path"), flag,
                RepeatableMathProbe.class.getName(), warmUps);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        String[] lines = out.strip().split("\n");
        return lines[lines.length - 1].strip();
    }
}
