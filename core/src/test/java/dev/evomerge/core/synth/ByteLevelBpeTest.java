package dev.evomerge.core.synth;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class ByteLevelBpeTest {

    @Test
    void byteAlphabetIsGpt2s() {
        char[] a = ByteLevelBpe.byteAlphabet();
        assertThat(a['A']).isEqualTo('A');
        assertThat(a[' ']).isEqualTo('\u0120'); // Ġ: bytes 0-32 come first among the remapped ones
        assertThat(a['\n']).isEqualTo('\u010A'); // Ċ
        assertThat(a[0]).isEqualTo('\u0100');
        assertThat(a[0x7F]).isEqualTo('\u0121');
        assertThat(a[0xAD]).isEqualTo('\u0143'); // soft hyphen is the last remapped byte
        assertThat(a[0xE9]).isEqualTo('\u00E9');
        Set<Character> distinct = new HashSet<>();
        for (char c : a) {
            distinct.add(c);
        }
        assertThat(distinct).hasSize(256);
    }

    @ParameterizedTest
    @ValueSource(ints = {259, 260, 512, 3000, 65536})
    void vocabularyHasExactlyTheRequestedSizeAndEveryMergeIsWellFormed(int size) {
        ByteLevelBpe bpe = ByteLevelBpe.train(SynthCorpus.text(), size);
        List<String> tokens = bpe.tokens();
        assertThat(tokens).hasSize(size).doesNotHaveDuplicates();
        assertThat(tokens.subList(0, 3)).containsExactly("<unk>", "<s>", "</s>");
        assertThat(tokens.get(3 + 'a')).isEqualTo("a");
        Set<String> vocab = new HashSet<>(tokens);
        Set<String> seenMerges = new HashSet<>();
        for (String merge : bpe.merges()) {
            String[] parts = merge.split(" ");
            assertThat(parts).hasSize(2);
            // plain set lookups: AssertJ's contains() scans, which is quadratic at 65536 tokens
            if (!vocab.contains(parts[0]) || !vocab.contains(parts[1]) || !vocab.contains(parts[0] + parts[1])) {
                throw new AssertionError("merge '" + merge + "' uses or makes a token outside the vocabulary");
            }
            if (!seenMerges.add(merge)) {
                throw new AssertionError("duplicate merge " + merge);
            }
        }
        // every token beyond the bytes is produced by some merge
        assertThat(bpe.merges().size()).isGreaterThanOrEqualTo(size - ByteLevelBpe.FIRST_MERGE_ID);
    }

    @Test
    void mostFrequentPairsOfTheCorpusAreMergedFirst() {
        ByteLevelBpe bpe = ByteLevelBpe.train(SynthCorpus.text(), 300);
        // " t" / "th" / "he" are the most common pairs in any English text; " the" must be learned early
        assertThat(bpe.merges().subList(0, 10)).contains("Ġ t");
        assertThat(bpe.tokens()).contains("Ġthe", "Ġand");
    }

    @Test
    void trainingIsDeterministic() {
        ByteLevelBpe a = ByteLevelBpe.train(SynthCorpus.text(), 1000);
        ByteLevelBpe b = ByteLevelBpe.train(SynthCorpus.text(), 1000);
        assertThat(a).isEqualTo(b);
    }

    @Test
    void digitsFillTheVocabularyOnceTheCorpusRunsOutOfPairs() {
        ByteLevelBpe small = ByteLevelBpe.train("ab ab", 262);
        // pre-tokens "ab" and " ab": merging a+b leaves only the pair (Ġ, ab), then the corpus is exhausted
        assertThat(small.tokens().subList(259, 262)).containsExactly("ab", "Ġab", "00");
        assertThat(small.merges()).containsExactly("a b", "Ġ ab", "0 0");
        ByteLevelBpe filled = ByteLevelBpe.train("ab ab", 270);
        assertThat(filled.tokens().subList(261, 270))
                .containsExactly("00", "01", "02", "03", "04", "05", "06", "07", "08");
    }
}
