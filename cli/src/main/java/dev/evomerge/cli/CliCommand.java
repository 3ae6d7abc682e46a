package dev.evomerge.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;

/** What an evomerge command prints through: picocli's out and err streams, and warnings in one format. */
abstract class CliCommand {

    @Spec
    CommandSpec spec;

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** Prints "evomerge: warning: MESSAGE" on stderr at once. */
    void warn(String message) {
        PrintWriter err = err();
        err.println("evomerge: warning: " + message);
        err.flush();
    }
}
