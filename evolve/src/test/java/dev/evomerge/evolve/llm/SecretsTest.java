package dev.evomerge.evolve.llm;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class SecretsTest {

    @Test
    void theKeyUrlCredentialsAndSecretQueryValuesAreMaskedInText() {
        Secrets s = Secrets.of("sk-abcdef123456", "https://bob:hunter22@h.example/v1?api-version=2024&token=t0k3n-value");
        assertThat(s.redact("key sk-abcdef123456, url https://bob:hunter22@h.example, pw hunter22, t0k3n-value"))
                .isEqualTo("key ***, url https://***@h.example, pw ***, ***");
        assertThat(s.redact("Authorization: Bearer whatever-else; Basic Ym9iOmh1bnRlcjIy; the bearer of news"))
                .isEqualTo("Authorization: Bearer ***; Basic ***; the bearer of news");
        assertThat(s.redact("api-version 2024 stays")).isEqualTo("api-version 2024 stays");
        // Short values are not literals to mask (masking "ab" would mangle every text).
        assertThat(Secrets.of("ab", null).redact("abc")).isEqualTo("abc");
    }

    @Test
    void urlsKeepTheirPathAndHarmlessQueryButLoseCredentials() {
        assertThat(Secrets.redactUrl("https://bob:hunter22@h.example/v1?api-version=x&api_key=k-1&sig=abc#f"))
                .isEqualTo("https://***@h.example/v1?api-version=x&api_key=***&sig=***#f");
        assertThat(Secrets.redactUrl("http://localhost:8000/v1")).isEqualTo("http://localhost:8000/v1");
        assertThat(Secrets.redactUrl(null)).isNull();
    }
}
