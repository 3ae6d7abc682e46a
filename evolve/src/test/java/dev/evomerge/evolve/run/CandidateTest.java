package dev.evomerge.evolve.run;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.evolve.genome.Genome;
import dev.evomerge.evolve.genome.GenomeDefinition;
import dev.evomerge.merge.config.MergeConfigWriter;
import dev.evomerge.merge.config.ModelReference;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CandidateTest {

    @Test
    void aDecodedCandidatesYamlIsWrittenByTheOneWriterAndReadsBackToTheSameConfig() {
        Genome g = new Genome(new GenomeDefinition(List.of("a", "b"), "ties", "base", null, 0, null, false, false,
                List.of()), 2);
        double[] genes = {0.5, 0.25, 1.0, 0.75};
        Candidate c = new Candidate(3, 1, genes, g.decode(genes));
        assertThat(c.mergeYaml()).isEqualTo(MergeConfigWriter.toYaml(c.config())).startsWith("merge_method: ties\n")
                .contains("density: 0.25\n");
        Candidate back = Candidate.fromYaml(3, 1, genes, c.mergeYaml(), "run.db candidate 3/1");
        assertThat(back.config().withSourceText(null)).isEqualTo(c.config());
        assertThat(back.mergeYaml()).isEqualTo(c.mergeYaml());
    }

    @Test
    void aStoredTextIsGivenBackAsItWasStored() {
        String stored = "# written by an earlier version\nmerge_method: linear\nmodels:\n  - model: a\n"
                + "    parameters: {weight: 1}\n";
        Candidate c = Candidate.fromYaml(0, 0, new double[] {1}, stored, "run.db candidate 0/0");
        assertThat(c.mergeYaml()).isEqualTo(stored);
        assertThat(c.config().models().getFirst().model()).isEqualTo(ModelReference.of("a"));
        assertThatThrownBy(() -> Candidate.fromYaml(0, 1, new double[] {1}, "merge_method: linear\n",
                "run.db candidate 0/1")).isInstanceOf(EvomergeException.class)
                .hasMessageStartingWith("run.db candidate 0/1: exactly one of 'models', 'slices', or 'modules'");
    }

    @Test
    void aStoredRowIsReadOnlyWhenMerged() {
        Candidate row = Candidate.stored(0, 2, new double[] {1}, "merge_method: linear\n", "run.db candidate 0/2");
        assertThat(row.mergeYaml()).isEqualTo("merge_method: linear\n");
        assertThatThrownBy(row::config).isInstanceOf(EvomergeException.class)
                .hasMessageStartingWith("run.db candidate 0/2: exactly one of 'models', 'slices', or 'modules'");
        Candidate empty = Candidate.stored(0, 3, new double[] {1}, null, "run.db candidate 0/3");
        assertThat(empty.mergeYaml()).isNull();
        assertThatThrownBy(empty::config).isInstanceOf(EvomergeException.class)
                .hasMessage("run.db candidate 0/3 has no merge YAML.");
    }
}
