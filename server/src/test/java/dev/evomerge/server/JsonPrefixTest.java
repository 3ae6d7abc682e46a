package dev.evomerge.server;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;

class JsonPrefixTest {

    @ParameterizedTest
    @ValueSource(strings = {"", "  ", "{", "{\"", "{\"a", "{\"a\"", "{\"a\":", "{\"a\": -", "{\"a\": 0.",
            "{\"a\": 1e", "{\"a\": 1e+", "{\"a\": 12", "{\"a\": [", "{\"a\": [1,", "{\"a\": [1, {\"b\": tr",
            "{\"a\": \"x\\", "{\"a\": \"\\u00", "{\"a\": nul", "{\"a\": {}, \"b\": [] ,", "\n {\"k\": \"v\" "})
    void prefixesOfAnObjectArePartial(String text) {
        assertThat(JsonPrefix.check(text)).isInstanceOf(JsonPrefix.Partial.class);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "x|0", "[1]|0", "\"a\"|0", "{a|1", "{\"a\" 1|5", "{\"a\":,|5", "{\"a\": 01|7", "{\"a\": 1.e|8",
            "'{\"a\": tru '|9", "{\"a\": [1 2]|9", "{\"a\": 1]|7", "{\"a\": \"\\x|8", "{\"a\": \"\\u12g|11",
            "{,|1", "{\"a\": 1,}|8", "{\"a\": -a|7"})
    void invalidTextsReportWhere(String text, int at) {
        assertThat(JsonPrefix.check(text)).isEqualTo(new JsonPrefix.Invalid(at));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"{}|2", "' {}'|3", "{\"a\": 1}|8", "{\"a\": 1} trailing|8",
            "{\"a\": {\"b\": [true, false, null, -0.5e-3, \"}\"]}}|47", "{\"a\": \"\\\"}\"}|12"})
    void completeObjectsEndAfterTheClosingBrace(String text, int end) {
        assertThat(JsonPrefix.check(text)).isEqualTo(new JsonPrefix.Complete(end));
    }

    @ParameterizedTest
    @ValueSource(ints = {JsonPrefix.MAX_WHITESPACE, JsonPrefix.MAX_WHITESPACE + 1})
    void longWhitespaceRunsAreCutOff(int run) {
        JsonPrefix.Result r = JsonPrefix.check("{" + " ".repeat(run));
        if (run <= JsonPrefix.MAX_WHITESPACE) {
            assertThat(r).isInstanceOf(JsonPrefix.Partial.class);
        } else {
            assertThat(r).isEqualTo(new JsonPrefix.Invalid(JsonPrefix.MAX_WHITESPACE + 1));
        }
        assertThat(JsonPrefix.check(" ".repeat(JsonPrefix.MAX_LEADING_WHITESPACE))).isInstanceOf(JsonPrefix.Partial.class);
        assertThat(JsonPrefix.check(" ".repeat(JsonPrefix.MAX_LEADING_WHITESPACE + 1)))
                .isEqualTo(new JsonPrefix.Invalid(JsonPrefix.MAX_LEADING_WHITESPACE));
        // whitespace inside strings is content, not padding
        assertThat(JsonPrefix.check("{\"" + " ".repeat(200))).isInstanceOf(JsonPrefix.Partial.class);
    }

    /** Text as UTF-8 followed by raw bytes. */
    private static byte[] bytes(String text, int... raw) {
        byte[] t = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] out = java.util.Arrays.copyOf(t, t.length + raw.length);
        for (int i = 0; i < raw.length; i++) {
            out[t.length + i] = (byte) raw[i];
        }
        return out;
    }

    @org.junit.jupiter.api.Test
    void bytesAreCheckedAsUtf8ThenAsJson() {
        // 中 is E4 B8 AD: its unfinished start may only stand where a character of a string can
        assertThat(JsonPrefix.check(bytes("{\"k\": \"", 0xE4))).isInstanceOf(JsonPrefix.Partial.class);
        assertThat(JsonPrefix.check(bytes("{\"k\": \"", 0xE4, 0xB8))).isInstanceOf(JsonPrefix.Partial.class);
        assertThat(JsonPrefix.check(bytes("{\"k\": ", 0xE4))).isEqualTo(new JsonPrefix.Invalid(6));
        assertThat(JsonPrefix.check(bytes("", 0xE4))).isEqualTo(new JsonPrefix.Invalid(0));
        assertThat(JsonPrefix.check(bytes("{\"", 0xB8))).isEqualTo(new JsonPrefix.Invalid(2)); // a lone continuation
        assertThat(JsonPrefix.check(bytes("{\"", 0xE4, 0xE4))).isEqualTo(new JsonPrefix.Invalid(2));
        assertThat(JsonPrefix.check(bytes("{\"", 0xC0, 0xAF))).isEqualTo(new JsonPrefix.Invalid(2)); // overlong '/'
        assertThat(JsonPrefix.check(bytes("{\"\\u", 0xE4))).isInstanceOf(JsonPrefix.Invalid.class);
        assertThat(JsonPrefix.check(bytes("{\"k\": \"\u4e2d\"}"))).isEqualTo(new JsonPrefix.Complete(10));
    }
}
