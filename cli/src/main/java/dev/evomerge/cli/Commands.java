package dev.evomerge.cli;

import java.util.List;

/** The subcommands, in the order --help lists them. Each issue that lands a command adds it here. */
final class Commands {

    private Commands() {
    }

    static List<Object> all() {
        return List.of(new MergeCommand(), new EvalCommand(), new EvolveCommand(), new DemoCommand(), new ServeCommand(),
                new DashboardCommand(), new ReportCommand(), new WorkerCommand(), new SynthCommand(), new InspectCommand());
    }
}
