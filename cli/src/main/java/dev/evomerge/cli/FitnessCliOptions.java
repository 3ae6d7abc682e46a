package dev.evomerge.cli;

import dev.evomerge.evolve.fitness.FitnessEstimatorKind;
import dev.evomerge.evolve.fitness.FitnessOptions;
import picocli.CommandLine.Option;

/**
 * The estimated-fitness options of {@code evolve} and {@code demo} (docs/evolution.md, "Estimated fitness"). Each
 * option left out takes the genome file's key of the same name, else its default.
 */
final class FitnessCliOptions {

    @Option(names = "--fitness-estimator", paramLabel = "full|subset|anchors|irt",
            description = "How a candidate's fitness is obtained: full (default: every candidate on the whole task), "
                    + "subset (K seeded documents per task), anchors or irt (calibrated on the first generation, then "
                    + "K anchor documents per task).")
    String estimator;
    @Option(names = "--anchors", paramLabel = "K", description = "Documents per task a candidate is evaluated on with "
            + "subset, anchors or irt (default: " + FitnessOptions.DEFAULT_ANCHORS + ").")
    Integer anchors;
    @Option(names = "--calibration-limit", paramLabel = "N", description = "anchors/irt: calibrate on a seeded sample "
            + "of N documents per task (default: the whole task).")
    Integer calibrationLimit;
    @Option(names = "--full-eval-top", paramLabel = "N", description = "Also evaluate each generation's best N by "
            + "estimate on the whole task (default: 0; the best ones are always evaluated at the end).")
    Integer fullEvalTop;
    @Option(names = "--recalibrate-every", paramLabel = "G", description = "irt: every G generations evaluate the "
            + "generation's best on the whole task, add it to the calibration models and refit on the same anchors "
            + "(default: 0, calibrated once).")
    Integer recalibrateEvery;

    FitnessOptions options() {
        return new FitnessOptions(estimator == null ? null : FitnessEstimatorKind.parse(estimator, "--fitness-estimator"),
                anchors, calibrationLimit, fullEvalTop, recalibrateEvery);
    }
}
