package dev.evomerge.server;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class PromptBudgetTest {

    private final PromptBudget budget = new PromptBudget(10, 64); // 640 bytes

    @Test
    void textUpToTheBudgetPassesAndOneByteMoreIsRefused() {
        assertThatCode(() -> budget.check("a".repeat(640), "The prompt", "prompt")).doesNotThrowAnyException();
        ApiException e = catchThrowableOfType(ApiException.class,
                () -> budget.check("a".repeat(641), "The prompt", "prompt"));
        assertThat(e.status()).isEqualTo(400);
        assertThat(e.error().code()).isEqualTo("context_length_exceeded");
        assertThat(e.error().param()).isEqualTo("prompt");
        assertThat(e.getMessage()).isEqualTo("The prompt has more than 640 bytes of text; at 64 bytes per token at"
                + " most, that is more than this model's maximum context length of 10 tokens, so it was not tokenized.");
    }

    @Test
    void bytesAreCountedInUtf8() {
        // 320 two-byte characters are exactly 640 bytes; 214 three-byte ones are 642
        assertThatCode(() -> budget.check("é".repeat(320), "The prompt", "prompt")).doesNotThrowAnyException();
        ApiException threeByte = catchThrowableOfType(ApiException.class,
                () -> budget.check("€".repeat(214), "Prompt 2", "prompt"));
        assertThat(threeByte.getMessage()).startsWith("Prompt 2 has 642 bytes of text;");
        // 160 emoji are 320 chars and 640 bytes; one more is 644
        assertThatCode(() -> budget.check("😀".repeat(160), "The prompt", "prompt")).doesNotThrowAnyException();
        ApiException emoji = catchThrowableOfType(ApiException.class,
                () -> budget.check("😀".repeat(161), "The prompt", "prompt"));
        assertThat(emoji.getMessage()).startsWith("The prompt has 644 bytes of text;");
    }
}
