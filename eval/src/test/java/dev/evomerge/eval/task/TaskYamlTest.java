package dev.evomerge.eval.task;

import dev.evomerge.core.EvomergeException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TaskYamlTest {

    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
        return p;
    }

    @Test
    void includeInheritsAndOverridesLikeArcChallenge() throws IOException {
        write("arc_easy.yaml", """
                tag:
                  - ai2_arc
                task: arc_easy
                dataset_path: allenai/ai2_arc
                dataset_name: ARC-Easy
                output_type: multiple_choice
                test_split: test
                doc_to_text: "Question: {{question}}\\nAnswer:"
                doc_to_target: "{{choices.label.index(answerKey)}}"
                doc_to_choice: "{{choices.text}}"
                metric_list:
                  - metric: acc
                    aggregation: mean
                    higher_is_better: true
                  - metric: acc_norm
                metadata:
                  version: 1.0
                """);
        Path challenge = write("sub/arc_challenge.yaml", """
                include: ../arc_easy.yaml
                task: arc_challenge
                dataset_name: ARC-Challenge
                """);
        List<String> warnings = new ArrayList<>();
        TaskConfig c = TaskConfigParser.parse(ResolvedYaml.load(new TaskFile.OnDisk(challenge)), warnings::add);
        assertThat(c.name()).isEqualTo("arc_challenge");
        assertThat(c.datasetPath()).isEqualTo("allenai/ai2_arc");
        assertThat(c.datasetName()).isEqualTo("ARC-Challenge");
        assertThat(c.outputType()).isEqualTo(OutputType.MULTIPLE_CHOICE);
        assertThat(c.docToText()).isEqualTo("Question: {{question}}\nAnswer:");
        assertThat(c.targetDelimiter()).isEqualTo(" ");
        assertThat(c.fewshotDelimiter()).isEqualTo("\n\n");
        assertThat(c.metrics()).extracting(MetricSpec::name).containsExactly("acc", "acc_norm");
        assertThat(c.metrics().getFirst().higherIsBetter()).isTrue();
        assertThat(c.version()).isEqualTo(1.0);
        assertThat(c.tags()).containsExactly("ai2_arc");
        assertThat(c.whereIs("dataset_name")).endsWith("arc_challenge.yaml:3");
        assertThat(c.whereIs("dataset_path")).endsWith("arc_easy.yaml:4");
        assertThat(warnings).isEmpty();
    }

    @Test
    void functionTagsDefaultsAndUnknownKeyWarning() throws IOException {
        Path f = write("mc2.yaml", """
                task: tqa
                dataset_path: truthful_qa
                output_type: multiple_choice
                validation_split: validation
                doc_to_text: question
                doc_to_target: 0
                doc_to_choice: "{{mc2_targets.choices}}"
                process_results: !function utils.process_results_mc2
                should_decontaminate: True
                fancy_option: 3
                """);
        List<String> warnings = new ArrayList<>();
        TaskConfig c = TaskConfigParser.parse(ResolvedYaml.load(new TaskFile.OnDisk(f)), warnings::add);
        assertThat(c.processResults()).isEqualTo(new FunctionRef("utils.process_results_mc2"));
        assertThat(c.docToTarget()).isEqualTo(0L);
        assertThat(c.metrics()).extracting(MetricSpec::name).containsExactly("acc", "acc_norm");
        assertThat(c.evalSplit()).contains("validation");
        assertThat(warnings).singleElement().asString().contains("mc2.yaml:10").contains("unknown key 'fancy_option'");
    }

    @Test
    void generationDefaultsFollowLmEval() throws IOException {
        Path f = write("gen.yaml", """
                task: g
                dataset_path: json
                test_split: test
                doc_to_text: "{{q}}"
                doc_to_target: "{{a}}"
                generation_kwargs:
                  until: "\\n"
                  max_gen_toks: 32
                filter_list:
                  - name: strict-match
                    filter:
                      - function: regex
                        regex_pattern: "#### (\\\\d+)"
                      - function: take_first
                """);
        TaskConfig c = TaskConfigParser.parse(ResolvedYaml.load(new TaskFile.OnDisk(f)), w -> { });
        assertThat(c.outputType()).isEqualTo(OutputType.GENERATE_UNTIL);
        assertThat(c.generationKwargs().until()).containsExactly("\n");
        assertThat(c.generationKwargs().maxGenToks()).isEqualTo(32);
        assertThat(c.generationKwargs().sampling()).isFalse();
        assertThat(c.metrics()).extracting(MetricSpec::name).containsExactly("exact_match");
        assertThat(c.filters()).singleElement().satisfies(fs -> {
            assertThat(fs.name()).isEqualTo("strict-match");
            assertThat(fs.steps().getFirst().args()).containsEntry("regex_pattern", "#### (\\d+)");
        });
        Path noUntil = write("gen2.yaml", "task: g2\ndataset_path: json\ndoc_to_text: x\n");
        TaskConfig d = TaskConfigParser.parse(ResolvedYaml.load(new TaskFile.OnDisk(noUntil)), w -> { });
        assertThat(d.generationKwargs().until()).containsExactly("\n\n");
        assertThat(d.generationKwargs().maxGenToks()).isEqualTo(256);
    }

    @Test
    void malformedYamlNamesFileAndLine() throws IOException {
        Path f = write("bad.yaml", "task: x\ndoc_to_text: \"unterminated\noutput_type: [a\n");
        assertThatThrownBy(() -> ResolvedYaml.load(new TaskFile.OnDisk(f)))
                .isInstanceOf(EvomergeException.class)
                .hasMessageStartingWith("malformed YAML in " + f.toAbsolutePath())
                .hasMessageMatching(".*bad\\.yaml:\\d+: .*");
        Path g = write("tab.yaml", "task: x\n  bad: indent\n");
        assertThatThrownBy(() -> ResolvedYaml.load(new TaskFile.OnDisk(g))).hasMessageContaining("tab.yaml:2");
    }

    @Test
    void badValuesAndIncludesAreOneSentence() throws IOException {
        Path f = write("t.yaml", "task: x\noutput_type: ranking\n");
        assertThatThrownBy(() -> TaskConfigParser.parse(ResolvedYaml.load(new TaskFile.OnDisk(f)), w -> { }))
                .hasMessageContaining("t.yaml:2").hasMessageContaining("output_type 'ranking'");
        Path inc = write("i.yaml", "include: missing.yaml\ntask: y\n");
        assertThatThrownBy(() -> ResolvedYaml.load(new TaskFile.OnDisk(inc)))
                .hasMessageContaining("i.yaml:1").hasMessageContaining("missing.yaml does not exist");
        write("a.yaml", "include: b.yaml\ntask: a\n");
        Path b = write("b.yaml", "include: a.yaml\ntask: b\n");
        assertThatThrownBy(() -> ResolvedYaml.load(new TaskFile.OnDisk(b))).hasMessageContaining("include cycle");
        Path img = write("img.yaml", "task: v\ndoc_to_image: image\n");
        assertThatThrownBy(() -> TaskConfigParser.parse(ResolvedYaml.load(new TaskFile.OnDisk(img)), w -> { }))
                .hasMessageContaining("multimodal");
    }

    @Test
    void catalogExpandsGroupsTagsAndIncludePathsBeforeBundled() throws IOException {
        write("tasks/a.yaml", "task: ta\ntag: [mytag]\ndataset_path: json\n");
        write("tasks/b.yaml", "task: tb\ntag: mytag\ndataset_path: json\n");
        write("tasks/_defaults.yaml", "dataset_path: json\n");
        write("tasks/group.yaml", """
                group: g
                task:
                  - ta
                  - task: tb
                    num_fewshot: 3
                aggregate_metric_list:
                  - metric: acc
                    weight_by_size: false
                """);
        TaskCatalog catalog = TaskCatalog.load(List.of(dir.resolve("tasks")), w -> { });
        assertThat(catalog.taskNames()).contains("ta", "tb");
        TaskCatalog.Selection byTag = catalog.select(List.of("mytag"));
        assertThat(byTag.tasks().keySet()).containsExactly("ta", "tb");
        TaskCatalog.Selection byGroup = catalog.select(List.of("g", "ta"));
        assertThat(byGroup.tasks().keySet()).containsExactly("ta", "tb");
        assertThat(byGroup.tasks().get("tb").values()).containsEntry("num_fewshot", 3L);
        GroupConfig g = byGroup.groups().get("g");
        assertThat(g.members()).containsExactly("ta", "tb");
        assertThat(g.aggregate()).singleElement().isEqualTo(new GroupConfig.AggregateMetric("acc", List.of("none"), false));
        assertThatThrownBy(() -> catalog.select(List.of("nope"))).isInstanceOf(EvomergeException.class)
                .hasMessageContaining("unknown task, group or tag 'nope'");
        assertThat(catalog.taskNames()).contains("toy_arc");
        assertThat(Map.of()).isEmpty();
    }

    @Test
    void aTaskYamlThatIsNotUtf8IsOneSentenceNamingTheFile() throws IOException {
        Path f = dir.resolve("latin1.yaml");
        Files.write(f, "task: x\ndescription: \"caf\u00e9\"\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertThatThrownBy(() -> ResolvedYaml.load(new TaskFile.OnDisk(f)))
                .isInstanceOf(EvomergeException.class)
                .hasMessage("Task file " + f.toAbsolutePath() + " is not UTF-8 text (byte 25 on line 2 is 0xE9); save"
                        + " it as UTF-8.");
        // also when it is reached through an include
        Path inc = write("inc.yaml", "include: latin1.yaml\ntask: y\n");
        assertThatThrownBy(() -> ResolvedYaml.load(new TaskFile.OnDisk(inc)))
                .hasMessageContaining("is not UTF-8 text").hasMessageContaining("latin1.yaml");
    }
}
