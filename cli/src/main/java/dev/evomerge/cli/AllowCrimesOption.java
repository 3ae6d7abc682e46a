package dev.evomerge.cli;

import picocli.CommandLine.Option;

/** mergekit's --allow-crimes, for every merge {@code merge} and {@code evolve} make. */
final class AllowCrimesOption {

    @Option(names = "--allow-crimes",
            description = "Allow merging models of different architectures, in every merge the command makes.")
    boolean allowed;
}
