package dev.evomerge.cli;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** Which listen addresses other machines can reach: the servers warn before exposing a model or a run. */
final class Hosts {

    private Hosts() {
    }

    /** True unless {@code host} is a loopback address; false for a name that does not resolve (binding fails next). */
    static boolean reachableFromOtherMachines(String host) {
        try {
            return !InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }
}
