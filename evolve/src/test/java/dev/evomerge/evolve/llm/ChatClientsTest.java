package dev.evomerge.evolve.llm;

import com.sun.net.httpserver.HttpServer;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthModelSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import dev.evomerge.engine.chat.ChatMessage;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChatClientsTest {

    static final List<ChatMessage> HELLO = List.of(ChatMessage.user("hi"));

    @Test
    void localPrefixLoadsTheDirectoryWithTheEmbeddedEngine(@TempDir Path tmp) {
        Path dir = ModelSynthesizer.write(SynthModelSpec.defaults(), tmp.resolve("m")).directory();
        ChatClient c = ChatClients.create("local:" + dir, null, null, Map.of());
        try {
            assertThat(c).isInstanceOf(LocalChatClient.class);
            assertThat(c.description()).startsWith("local:" + dir).contains(LocalChatClient.DEFAULT_MAX_TOKENS + " tokens");
        } finally {
            ((LocalChatClient) c).close();
        }
    }

    @Test
    void openAiNeedsAKeyFromTheArgumentOrTheEnvironment() {
        assertThatThrownBy(() -> ChatClients.create("gpt-4o", null, null, Map.of()))
                .isInstanceOf(EvomergeException.class)
                .hasMessageContaining("OPENAI_API_KEY")
                .hasMessageContaining("https://api.openai.com/v1");
        assertThatThrownBy(() -> ChatClients.create("gpt-4o", "https://api.openai.com/v1", " ", Map.of("OPENAI_API_KEY", "")))
                .isInstanceOf(EvomergeException.class);
        assertThat(ChatClients.create("gpt-4o", null, null, Map.of("OPENAI_API_KEY", "sk-env")).description())
                .isEqualTo("gpt-4o at https://api.openai.com/v1/chat/completions");
        assertThat(ChatClients.create("gpt-4o-mini", "", "sk-arg", Map.of()).description())
                .isEqualTo("gpt-4o-mini at https://api.openai.com/v1/chat/completions");
    }

    @Test
    void theKeySentIsTheArgumentElseTheEnvironmentElseNoneForALocalServer() throws Exception {
        List<String> authorizations = new ArrayList<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/chat/completions", ex -> {
            ex.getRequestBody().readAllBytes();
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            synchronized (authorizations) {
                authorizations.add(auth == null ? "(none)" : auth);
            }
            byte[] body = "{\"choices\": [{\"message\": {\"role\": \"assistant\", \"content\": \"ok\"}}]}"
                    .getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(body);
            }
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/v1";
            assertThat(ChatClients.create("m", base, "sk-arg", Map.of("OPENAI_API_KEY", "sk-env")).complete(HELLO))
                    .isEqualTo("ok");
            assertThat(ChatClients.create("m", base, null, Map.of("OPENAI_API_KEY", "sk-env")).complete(HELLO))
                    .isEqualTo("ok");
            ChatClient keyless = ChatClients.create("m", base, null, Map.of());
            assertThat(keyless).isInstanceOf(OpenAiChatClient.class);
            assertThat(keyless.complete(HELLO)).isEqualTo("ok");
            synchronized (authorizations) {
                assertThat(authorizations).containsExactly("Bearer sk-arg", "Bearer sk-env", "(none)");
            }
        } finally {
            server.stop(0);
        }
    }

    @Test
    void badOptionsAreOneSentenceUsageErrors() {
        assertThatThrownBy(() -> ChatClients.create("local:", null, null, Map.of()))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("local:");
        assertThatThrownBy(() -> ChatClients.create(" ", null, null, Map.of()))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("--llm-model");
        assertThatThrownBy(() -> ChatClients.create("m", "ftp://host/v1", "k", Map.of()))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("ftp://host/v1");
        assertThatThrownBy(() -> ChatClients.create("m", "localhost:8000/v1", "k", Map.of()))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("--llm-base-url");
        assertThatThrownBy(() -> ChatClients.create("m", "http://bad host/v1", "k", Map.of()))
                .isInstanceOf(EvomergeException.class).hasMessageContaining("--llm-base-url");
    }
}
