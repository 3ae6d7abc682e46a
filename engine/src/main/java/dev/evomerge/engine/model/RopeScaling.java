package dev.evomerge.engine.model;

/** How rotary frequencies are adjusted for long contexts (config.json {@code rope_scaling}). */
public sealed interface RopeScaling {

    /** Adjusts the inverse frequency of one rotary pair. */
    double adjust(double invFreq);

    /** No scaling ({@code rope_scaling} null or {@code rope_type: default}). */
    record None() implements RopeScaling {
        @Override
        public double adjust(double invFreq) {
            return invFreq;
        }
    }

    /** {@code linear}: positions divided by {@code factor}, i.e. every frequency divided by it. */
    record Linear(double factor) implements RopeScaling {
        @Override
        public double adjust(double invFreq) {
            return invFreq / factor;
        }
    }

    /**
     * {@code llama3} (Llama 3.1/3.2): wavelengths longer than original/lowFreqFactor are divided by {@code factor},
     * shorter than original/highFreqFactor kept, and the band between interpolated smoothly.
     */
    record Llama3(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions)
            implements RopeScaling {
        @Override
        public double adjust(double invFreq) {
            double lowFreqWavelen = originalMaxPositions / lowFreqFactor;
            double highFreqWavelen = originalMaxPositions / highFreqFactor;
            double wavelen = 2 * Math.PI / invFreq;
            if (wavelen < highFreqWavelen) {
                return invFreq;
            }
            if (wavelen > lowFreqWavelen) {
                return invFreq / factor;
            }
            double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
            return (1 - smooth) * invFreq / factor + smooth * invFreq;
        }
    }
}
