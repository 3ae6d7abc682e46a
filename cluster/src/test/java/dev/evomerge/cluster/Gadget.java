package dev.evomerge.cluster;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serial;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * What an attacker sends to reach remote code execution through Java deserialization: a class whose loading, whose
 * {@code readObject} and whose {@code call} each leave a file behind. A member that rejects it before any of its code
 * runs leaves none of the three.
 */
final class Gadget implements Callable<String>, Serializable {

    @Serial
    private static final long serialVersionUID = 1L;

    static {
        String marker = System.getProperty("evomerge.test.gadget.marker");
        if (marker != null) {
            touch(Path.of(marker + ".static"));
        }
    }

    private final String marker;

    Gadget(Path marker) {
        this.marker = marker.toString();
    }

    @Serial
    private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
        in.defaultReadObject();
        touch(Path.of(marker + ".readObject"));
    }

    @Override
    public String call() {
        touch(Path.of(marker + ".call"));
        return "ran";
    }

    private static void touch(Path p) {
        try {
            Files.writeString(p, "gadget code ran here");
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
