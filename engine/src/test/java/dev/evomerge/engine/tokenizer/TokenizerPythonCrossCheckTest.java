package dev.evomerge.engine.tokenizer;

import dev.evomerge.core.testing.GoldenModels;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.synth.ModelSynthesizer;
import dev.evomerge.core.synth.SynthModelSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/** Encodings, offsets and decodings compared with Python's {@code tokenizers} on fixed and seeded random strings. */
class TokenizerPythonCrossCheckTest {

    private static final String SCRIPT = """
            import json, sys
            from tokenizers import Tokenizer
            req = json.load(sys.stdin)
            t = Tokenizer.from_file(req["file"])
            out = []
            for s in req["texts"]:
                a = t.encode(s, add_special_tokens=True)
                b = t.encode(s, add_special_tokens=False)
                out.append({"ids": a.ids, "plain": b.ids, "offsets": [list(o) for o in a.offsets],
                            "decoded": t.decode(a.ids, skip_special_tokens=False),
                            "skipped": t.decode(a.ids, skip_special_tokens=True)})
            json.dump(out, sys.stdout)
            """;

    private static final String ALPHABET = "abcdefghijklmnopqrstuvwxyzABCXYZ0123456789 .,!?'\"-\n\téüß한국어😀";

    @ParameterizedTest
    @ValueSource(strings = {"llama-pico-base", "qwen2-pico-base"})
    void matchesPythonTokenizersOnGoldenModels(String model) throws Exception {
        crossCheck(GoldenModels.model(model));
    }

    /** The byte-level BPE that {@code evomerge synth model} writes, with a vocabulary of 2000 learned tokens. */
    @Test
    void matchesPythonTokenizersOnASynthModel(@TempDir Path tmp) throws Exception {
        Path dir = ModelSynthesizer.write(SynthModelSpec.defaults().withVocabSize(2000).withLayers(1),
                tmp.resolve("synth")).directory();
        crossCheck(dir);
        try (Tokenizer tok = Tokenizer.load(dir)) {
            assertThat(tok.vocabSize()).isEqualTo(2000);
            assertThat(tok.addsBosToken()).isTrue();
        }
    }

    private void crossCheck(Path dir) throws Exception {
        List<String> texts = new ArrayList<>(List.of("Hello world", "The cat sat on the mat.", "  leading spaces",
                "trailing  ", "a<s>b</s> c", "numbers 12345 and 3.14", "héllo 😀 wörld!", ""));
        SplittableRandom rnd = new SplittableRandom(20240611L);
        for (int i = 0; i < 40; i++) {
            StringBuilder sb = new StringBuilder();
            int len = rnd.nextInt(1, 40);
            for (int k = 0; k < len; k++) {
                int cp = ALPHABET.codePointAt(ALPHABET.offsetByCodePoints(0,
                        rnd.nextInt(ALPHABET.codePointCount(0, ALPHABET.length()))));
                sb.appendCodePoint(cp);
            }
            texts.add(sb.toString());
        }
        ObjectMapper json = new ObjectMapper();
        String request = json.writeValueAsString(java.util.Map.of("file",
                dir.resolve("tokenizer.json").toString(), "texts", texts));
        JsonNode expected = json.readTree(PythonReference.run(SCRIPT, request));
        try (Tokenizer tok = Tokenizer.load(dir)) {
            for (int i = 0; i < texts.size(); i++) {
                String text = texts.get(i);
                JsonNode e = expected.get(i);
                Encoding enc = tok.encodeWithOffsets(text, true);
                assertThat(enc.ids()).as("ids of %s", text).containsExactly(ints(e.get("ids")));
                assertThat(tok.encode(text, false)).as("plain ids of %s", text).containsExactly(ints(e.get("plain")));
                for (int k = 0; k < enc.size(); k++) {
                    assertThat(new int[] {enc.starts()[k], enc.ends()[k]}).as("offset %d of %s", k, text)
                            .containsExactly(e.get("offsets").get(k).get(0).asInt(), e.get("offsets").get(k).get(1).asInt());
                }
                assertThat(tok.decode(enc.ids())).isEqualTo(e.get("decoded").asText());
                assertThat(tok.decode(enc.ids(), true)).isEqualTo(e.get("skipped").asText());
            }
        }
    }

    private static int[] ints(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = array.get(i).asInt();
        }
        return out;
    }
}
