package dev.evomerge.merge.config;

import dev.evomerge.core.EvomergeException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ModelReferenceTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "/models/a | /models/a | - | - | -",
            "org/model@v1 | org/model | v1 | - | -",
            "base+lora | base | - | lora | -",
            "base@r1+lora@r2 | base | r1 | lora | r2"})
    void parsesTheFourStringForms(String text, String path, String rev, String lora, String loraRev) {
        ModelReference r = ModelReference.parse(text);
        assertThat(r).isEqualTo(new ModelReference(path, rev, lora, loraRev, null));
        assertThat(r.hasLora()).isEqualTo(lora != null);
        assertThat(r.toString()).isEqualTo(text);
    }

    @ParameterizedTest
    @ValueSource(strings = {"a+b+c", "a@b@c", "a+b@c@d", "@rev", "a@", "+lora", " "})
    void rejectsMalformedStrings(String text) {
        assertThatThrownBy(() -> ModelReference.parse(text)).isInstanceOf(EvomergeException.class)
                .hasMessageContaining("reference");
    }
}
