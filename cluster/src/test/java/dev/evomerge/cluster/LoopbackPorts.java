package dev.evomerge.cluster;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Free 127.0.0.1 ports for test members, each handed out once. They lie below Linux's ephemeral range (32768 and up):
 * a port from there (what {@code new ServerSocket(0)} gives) can be taken as the local port of some outgoing connection,
 * such as a worker already trying to reach the not-yet-started coordinator, before the member binds it.
 */
final class LoopbackPorts {

    private final Set<Integer> given = new HashSet<>();
    private final SplittableRandom random = new SplittableRandom(ProcessHandle.current().pid() * 31 + System.nanoTime());

    int next() throws IOException {
        for (int attempt = 0; attempt < 500; attempt++) {
            int port = 20_000 + random.nextInt(12_000);
            if (given.contains(port)) {
                continue;
            }
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(false); // as Hazelcast binds: a port in TIME_WAIT counts as taken
                s.bind(new InetSocketAddress("127.0.0.1", port));
            } catch (IOException taken) {
                continue;
            }
            given.add(port);
            return port;
        }
        throw new IOException("no free port between 20000 and 31999 on 127.0.0.1");
    }
}
