package dev.evomerge.cli;

import dev.evomerge.dashboard.ReportWriter;
import dev.evomerge.dashboard.RunSummary;
import dev.evomerge.evolve.store.RunStore;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code evomerge report}: a self-contained report.html with PNG charts and summary.md for one run. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Write a static report of a run: report.html (self-contained), PNG charts and summary.md.")
final class ReportCommand extends CliCommand implements Callable<Integer> {

    @Option(names = "--storage-path", required = true, description = "The run's --storage-path.")
    Path storage;

    @Option(names = "--out", required = true, description = "Folder for the report (created if missing).")
    Path out;

    @Override
    public Integer call() {
        dev.evomerge.core.io.OutputFolders.requireCreatable(out, "--out " + out);
        RunSummary summary;
        try (RunStore store = RunStore.openReadOnly(storage)) {
            Path abs = storage.toAbsolutePath().normalize();
            summary = RunSummary.read(abs.getFileName() == null ? "run" : abs.getFileName().toString(), store);
        }
        List<Path> files = ReportWriter.write(summary, out);
        out().println("wrote " + files.size() + " files to " + out + ": "
                + String.join(", ", files.stream().map(p -> p.getFileName().toString()).toList()));
        return 0;
    }
}
