package dev.evomerge.cli;

import picocli.CommandLine.Option;

import java.time.Duration;

/** {@code evolve}'s options for coordinating a cluster (with --cluster-name): how long a candidate may take, how many workers to await. */
final class CoordinatorCliOptions {

    @Option(names = "--eval-timeout", defaultValue = "3600", description = "Cluster: seconds before a candidate is retried elsewhere (default: ${DEFAULT-VALUE}).")
    long evalTimeout;
    @Option(names = "--min-workers", defaultValue = "1", description = "Cluster: workers to wait for before starting (default: ${DEFAULT-VALUE}).")
    int minWorkers;

    /** Fails with a usage error naming the option whose value is below 1. */
    void check() {
        OptionChecks.atLeastOne("--eval-timeout", evalTimeout, "second");
        OptionChecks.atLeastOne("--min-workers", minWorkers);
    }

    Duration evalTimeout() {
        return Duration.ofSeconds(evalTimeout);
    }
}
