package dev.evomerge.cli;

import picocli.CommandLine;

/**
 * Reads a {@code --port} value: a TCP port 0 to 65535, else a usage error (exit 2) naming the option, instead of the
 * socket layer's "port out of range" failing later.
 */
final class PortConverter implements CommandLine.ITypeConverter<Integer> {

    @Override
    public Integer convert(String value) {
        int port;
        try {
            port = Integer.parseInt(value.strip());
        } catch (NumberFormatException e) {
            throw new CommandLine.TypeConversionException("'" + value + "' is not a port number (0 to 65535).");
        }
        if (port < 0 || port > 65535) {
            throw new CommandLine.TypeConversionException(value + " is not a port number (0 to 65535).");
        }
        return port;
    }
}
