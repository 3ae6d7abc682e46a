package dev.evomerge.cluster;

import dev.evomerge.core.EvomergeException;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Map;

/**
 * The key the members of one cluster share: members prove they hold it by HMAC-SHA256 answers to fresh challenges,
 * and every task and result carries an HMAC made with it. It is read from a file or the environment, never from the
 * command line, and never appears in a log line, an error message or {@link #toString()}.
 */
public final class ClusterSecret {

    /** The environment variable read when no {@code --cluster-secret-file} is given. */
    public static final String ENV = "EVOMERGE_CLUSTER_SECRET";
    /** Shorter secrets are refused: a guessable secret protects nothing. */
    static final int MIN_LENGTH = 16;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final SecretKeySpec key;
    private final boolean given;

    private ClusterSecret(byte[] key, boolean given) {
        this.key = new SecretKeySpec(key, "HmacSHA256");
        this.given = given;
    }

    /**
     * No secret (allowed on loopback only): the same code path runs with a key everyone knows, so a member started
     * with a secret and one started without refuse each other, but nothing is protected.
     */
    public static ClusterSecret none() {
        return new ClusterSecret("evomerge: no cluster secret".getBytes(StandardCharsets.UTF_8), false);
    }

    /** A secret given in code (tests, embedding); at least {@value #MIN_LENGTH} characters. */
    public static ClusterSecret of(String secret, String source) {
        String s = secret.strip();
        if (s.length() < MIN_LENGTH) {
            throw EvomergeException.usage("The cluster secret in " + source + " is shorter than " + MIN_LENGTH
                    + " characters; use a long random one (e.g. `openssl rand -hex 32`).");
        }
        return new ClusterSecret(s.getBytes(StandardCharsets.UTF_8), true);
    }

    /**
     * The secret from {@code file} if given, else from {@value #ENV} in {@code env}, else {@link #none()}. Leading and
     * trailing whitespace (a final newline) is not part of it.
     */
    public static ClusterSecret resolve(Path file, Map<String, String> env) {
        if (file != null) {
            try {
                return of(Files.readString(file, StandardCharsets.UTF_8), "--cluster-secret-file " + file);
            } catch (IOException e) {
                throw EvomergeException.usage("Cannot read --cluster-secret-file " + file + " (" + e.getClass().getSimpleName() + ").", e);
            }
        }
        String v = env.get(ENV);
        if (v != null && !v.isBlank()) {
            return of(v, "the environment variable " + ENV);
        }
        return none();
    }

    /** Whether a secret was given (else members on loopback run unprotected). */
    public boolean given() {
        return given;
    }

    /** A fresh random challenge. */
    static byte[] nonce() {
        byte[] n = new byte[32];
        RANDOM.nextBytes(n);
        return n;
    }

    /**
     * HMAC-SHA256 over the parts, each length-prefixed so that no two different lists of parts give the same input.
     * The first part names what is signed ("task", "result", "worker-proof", ...) so one kind of signature can never
     * stand for another.
     */
    byte[] mac(byte[]... parts) {
        try {
            Mac m = Mac.getInstance("HmacSHA256");
            m.init(key);
            for (byte[] p : parts) {
                int n = p.length;
                m.update(new byte[] {(byte) (n >>> 24), (byte) (n >>> 16), (byte) (n >>> 8), (byte) n});
                m.update(p);
            }
            return m.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is always available", e);
        }
    }

    /** Whether {@code mac} is the HMAC of the parts, compared in constant time. */
    boolean verify(byte[] mac, byte[]... parts) {
        return mac != null && mac.length > 0 && MessageDigest.isEqual(mac, mac(parts));
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static byte[] int64(long v) {
        byte[] b = new byte[8];
        for (int i = 7; i >= 0; i--) {
            b[i] = (byte) v;
            v >>>= 8;
        }
        return b;
    }

    @Override
    public String toString() {
        return given ? "ClusterSecret[given]" : "ClusterSecret[none]";
    }
}
