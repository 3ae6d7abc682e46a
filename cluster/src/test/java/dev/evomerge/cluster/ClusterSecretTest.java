package dev.evomerge.cluster;

import dev.evomerge.core.EvomergeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Where the cluster secret comes from, when it is required, and that it never shows. */
class ClusterSecretTest {

    static final String SECRET = "s3cr3t-0123456789-abcdef";

    @Test
    void theFileWinsOverTheEnvironmentAndItsFinalNewlineIsNotPartOfIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("secret");
        Files.writeString(file, SECRET + "\n");
        ClusterSecret fromFile = ClusterSecret.resolve(file, Map.of(ClusterSecret.ENV, "another-secret-0123456789"));
        ClusterSecret fromEnv = ClusterSecret.resolve(null, Map.of(ClusterSecret.ENV, SECRET));
        byte[] nonce = ClusterSecret.nonce();
        assertThat(fromFile.given()).isTrue();
        assertThat(fromEnv.verify(fromFile.mac(nonce), nonce)).isTrue();
        assertThat(ClusterSecret.resolve(null, Map.of()).given()).isFalse();
        assertThat(ClusterSecret.resolve(null, Map.of()).verify(fromFile.mac(nonce), nonce)).isFalse();
        assertThat(ClusterSecret.nonce()).isNotEqualTo(nonce).hasSize(32);
        assertThat(fromFile.toString()).doesNotContain(SECRET);
    }

    @Test
    void aShortOrUnreadableSecretIsRefusedWithoutShowingIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("secret");
        Files.writeString(file, "short-one\n");
        assertThatThrownBy(() -> ClusterSecret.resolve(file, Map.of())).isInstanceOf(EvomergeException.class)
                .hasMessage("The cluster secret in --cluster-secret-file " + file + " is shorter than 16 characters; use a long "
                        + "random one (e.g. `openssl rand -hex 32`).");
        assertThatThrownBy(() -> ClusterSecret.resolve(null, Map.of(ClusterSecret.ENV, "short-one")))
                .hasMessageNotContaining("short-one").hasMessageContaining("EVOMERGE_CLUSTER_SECRET");
        assertThatThrownBy(() -> ClusterSecret.resolve(dir.resolve("missing"), Map.of()))
                .hasMessageStartingWith("Cannot read --cluster-secret-file " + dir.resolve("missing"));
    }

    @Test
    void aNonLoopbackAddressNeedsASecretALoopbackOneDoesNot() {
        assertThatThrownBy(() -> new ClusterOptions("c", List.of(), "0.0.0.0", 5701, true))
                .isInstanceOf(EvomergeException.class)
                .hasMessage("--bind 0.0.0.0 is reachable from other machines, so the cluster needs a secret: pass "
                        + "--cluster-secret-file PATH or set the environment variable EVOMERGE_CLUSTER_SECRET (the same on every member).");
        ClusterOptions withSecret = new ClusterOptions("c", List.of(), "0.0.0.0", 5701, true, ClusterSecret.of(SECRET, "test"));
        assertThat(withSecret.secret().given()).isTrue();
        assertThat(withSecret.toString()).doesNotContain(SECRET);
        assertThat(new ClusterOptions("c", List.of(), "127.0.0.1", 5701, false).secret().given()).isFalse();
    }
}
