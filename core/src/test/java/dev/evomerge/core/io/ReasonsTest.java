package dev.evomerge.core.io;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.model.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class ReasonsTest {

    static final ObjectMapper JSON = new ObjectMapper();

    record Settings(Inner inner) {
    }

    record Inner(int count) {
    }

    @Test
    void fileErrorsNameTheFileAndWhatHappened(@TempDir Path dir) throws IOException {
        Path missing = dir.resolve("missing.json");
        assertThat(Reasons.of(catchThrowableOfType(IOException.class, () -> Files.readString(missing))))
                .isEqualTo(missing + " does not exist");
        Path existing = Files.createFile(dir.resolve("there"));
        assertThat(Reasons.of(catchThrowableOfType(IOException.class, () -> Files.createFile(existing))))
                .isEqualTo(existing + " already exists");
        Path inMissingFolder = dir.resolve("nofolder/f");
        assertThat(Reasons.of(catchThrowableOfType(IOException.class, () -> Files.writeString(inMissingFolder, "x"))))
                .isEqualTo(inMissingFolder + " does not exist");
    }

    @Test
    void aNonEmptyDirectoryAndAFileUsedAsAFolder(@TempDir Path dir) throws IOException {
        Path folder = Files.createDirectories(dir.resolve("folder"));
        Files.writeString(folder.resolve("f"), "x");
        assertThat(Reasons.of(catchThrowableOfType(IOException.class, () -> Files.delete(folder))))
                .isEqualTo(folder + " is not an empty directory");
        Path file = folder.resolve("f");
        IOException underFile = catchThrowableOfType(IOException.class,
                () -> Files.readString(file.resolve("child")));
        assertThat(Reasons.of(underFile)).isEqualTo(file + " is a file, not a folder"); // the culprit, not the child
    }

    @Test
    void jsonSyntaxErrorsGiveLineColumnAndNoParserInternals() {
        String truncated = Reasons.json(catchThrowableOfType(JacksonException.class,
                () -> JSON.readTree("{\n  \"a\": [1, 2")));
        assertThat(truncated).startsWith("line 2, column ").contains("end-of-input")
                .doesNotContain("Source").doesNotContain("REDACTED").doesNotContain("StreamReadFeature");
        String token = Reasons.json(catchThrowableOfType(JacksonException.class,
                () -> JSON.readTree("{\"a\": nope}")));
        assertThat(token).isEqualTo("line 1, column 7: unrecognized token 'nope': was expecting (JSON String,"
                + " Number, Array, Object or token 'null', 'true' or 'false')");
        String character = Reasons.json(catchThrowableOfType(JacksonException.class,
                () -> JSON.readTree("{\"a\": 1,, }")));
        assertThat(character).startsWith("line 1, column 9: unexpected character (',')").doesNotContain("code 44");
    }

    @Test
    void aValueOfTheWrongTypeNamesTheFieldNotTheJavaClass() {
        String r = Reasons.json(catchThrowableOfType(JacksonException.class,
                () -> JSON.readValue("{\"inner\": {\"count\": \"many\"}}", Settings.class)));
        assertThat(r).startsWith("field 'inner.count': ").contains("int").contains("\"many\"")
                .doesNotContain("java.lang").doesNotContain("`").doesNotContain("dev.evomerge");
    }

    @Test
    void textAfterTheValueIsAnErrorAtItsPosition() throws IOException {
        assertThat(JsonInput.readTree(JSON, "{\"a\": 1}  \n").get("a").asInt()).isEqualTo(1);
        assertThat(JsonInput.readTree(JSON, "  ").isMissingNode()).isTrue();
        String[][] cases = {{"{\"a\": 1} garbage", "line 1, column 10"}, {"{\"a\": 1}{\"b\": 2}", "line 1, column 9"},
                {"{\"a\": 1}]", "line 1, column 9"}, {"{\"a\": 1}\n\n  x", "line 3, column 3"}};
        for (String[] c : cases) {
            IOException text = catchThrowableOfType(IOException.class, () -> JsonInput.readTree(JSON, c[0]));
            assertThat(Reasons.of(text)).as(c[0]).isEqualTo(c[1] + ": there is more text after the end of the JSON value");
            IOException bytes = catchThrowableOfType(IOException.class,
                    () -> JsonInput.readTree(JSON, c[0].getBytes(java.nio.charset.StandardCharsets.UTF_8)));
            assertThat(Reasons.of(bytes)).as(c[0]).isEqualTo(c[1] + ": there is more text after the end of the JSON value");
        }
        EvomergeException config = catchThrowableOfType(EvomergeException.class,
                () -> ModelConfig.parse("{\"model_type\": \"llama\"}\nx", "m/config.json"));
        assertThat(config.kind()).isEqualTo(EvomergeException.Kind.USAGE);
        assertThat(config.getMessage()).isEqualTo("Config m/config.json is not valid JSON: line 2, column 1: there is"
                + " more text after the end of the JSON value.");
    }
}
