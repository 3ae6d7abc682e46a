package dev.evomerge.cli;

import dev.evomerge.core.EvomergeException;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

class MainTest {


    @Test
    void helpListsUsageAndExitsZero() {
        CliRun r = CliRun.run("--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("Usage: evomerge").contains("--version");
    }

    @Test
    void versionNamesTheToolAndJava() {
        CliRun r = CliRun.run("--version");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).startsWith("evomerge ").contains("Java " + Runtime.version().feature());
    }

    @Test
    void unknownOptionIsAUsageErrorWithOneSentence() {
        CliRun r = CliRun.run("--no-such-option");
        assertThat(r.exit()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).startsWith("evomerge: ").contains("--no-such-option");
        assertThat(r.err().lines().count()).isEqualTo(1);
    }

    @Test
    void missingSubcommandIsAUsageError() {
        CliRun r = CliRun.run();
        assertThat(r.exit()).isEqualTo(Main.EXIT_USAGE);
        assertThat(r.err()).contains("Missing subcommand");
    }

    @Test
    void usageExceptionsExitTwoAndRuntimeExceptionsExitOneWithoutStackTrace() {
        StringWriter err = new StringWriter();
        int usage = Main.report(EvomergeException.usage("File x.yml: bad key 'y'."), false, new PrintWriter(err, true));
        assertThat(usage).isEqualTo(2);
        assertThat(err.toString()).isEqualTo("evomerge: File x.yml: bad key 'y'." + System.lineSeparator());

        StringWriter err2 = new StringWriter();
        int runtime = Main.report(EvomergeException.runtime("Disk full while writing out/.", null), false,
                new PrintWriter(err2, true));
        assertThat(runtime).isEqualTo(1);
        assertThat(err2.toString()).doesNotContain("\tat ");
    }

    @Test
    void verboseAddsTheStackTrace() {
        StringWriter err = new StringWriter();
        int code = Main.report(new IllegalStateException("boom"), true, new PrintWriter(err, true));
        assertThat(code).isEqualTo(1);
        assertThat(err.toString()).contains("boom").contains("\tat ");
    }

    @Test
    void anUnexpectedFileErrorSaysWhatHappenedNotJustThePath() {
        StringWriter err = new StringWriter();
        int code = Main.report(new java.io.UncheckedIOException(new java.nio.file.NoSuchFileException("/data/x.bin")),
                false, new PrintWriter(err, true));
        assertThat(code).isEqualTo(Main.EXIT_RUNTIME);
        assertThat(err.toString()).isEqualTo("evomerge: unexpected failure: /data/x.bin does not exist"
                + " (run with -v for details)" + System.lineSeparator());
    }

    @Test
    void aPortOutOfRangeIsAUsageErrorNamingTheOptionOnEveryCommand(@org.junit.jupiter.api.io.TempDir
                                                                   java.nio.file.Path tmp) {
        String[][] commands = {
                {"serve", tmp.toString(), "--port", "70000"},
                {"dashboard", "--storage-path", tmp.toString(), "--port", "70000"},
                {"worker", "--cluster-name", "c", "--members", "127.0.0.1:5701", "--port", "70000"},
                {"evolve", tmp.resolve("genome.yml").toString(), "--storage-path", tmp.toString(),
                        "--cluster-name", "c", "--members", "127.0.0.1:5701", "--port", "70000"},
                {"dashboard", "--storage-path", tmp.toString(), "--port", "-1"},
                {"serve", tmp.toString(), "--port", "http"}};
        for (String[] args : commands) {
            CliRun r = CliRun.run(args);
            assertThat(r.exit()).as(String.join(" ", args)).isEqualTo(Main.EXIT_USAGE);
            assertThat(r.err()).as(String.join(" ", args)).startsWith("evomerge: ").contains("--port")
                    .contains("is not a port number (0 to 65535)").doesNotContain("unexpected");
            assertThat(r.err().lines().count()).as(String.join(" ", args)).isEqualTo(1);
        }
    }
}
