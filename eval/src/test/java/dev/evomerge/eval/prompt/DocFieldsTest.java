package dev.evomerge.eval.prompt;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.eval.task.ResolvedYaml;
import dev.evomerge.eval.task.TaskConfig;
import dev.evomerge.eval.task.TaskConfigParser;
import dev.evomerge.eval.task.TaskFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DocFieldsTest {

    @TempDir
    Path dir;

    private final TemplateRenderer renderer = new TemplateRenderer();

    private TaskConfig task(String yaml) throws IOException {
        Path p = dir.resolve("t" + System.nanoTime() + ".yaml");
        Files.writeString(p, "task: t\ndataset_path: json\noutput_type: multiple_choice\n" + yaml);
        return TaskConfigParser.parse(ResolvedYaml.load(new TaskFile.OnDisk(p)), w -> { });
    }

    private static Map<String, Object> arcDoc() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("question", "Which is a mammal?");
        d.put("choices", Map.of("text", List.of("trout", "it's a whale", "frog"), "label", List.of("A", "B", "C")));
        d.put("answerKey", "B");
        d.put("label", 1L);
        return d;
    }

    private DocFields fields(TaskConfig t) {
        return new DocFields(t, renderer, arcDoc().keySet(), w -> { });
    }

    @Test
    void arcTemplatesWithNestedFieldsAndListIndex() throws IOException {
        DocFields f = fields(task("""
                doc_to_text: "Question: {{question}}\\nAnswer:"
                doc_to_target: "{{choices.label.index(answerKey)}}"
                doc_to_choice: "{{choices.text}}"
                """));
        assertThat(f.text(arcDoc(), 0)).isEqualTo("Question: Which is a mammal?\nAnswer:");
        assertThat(f.target(arcDoc(), 0)).isEqualTo(1L);
        assertThat(f.choices(arcDoc(), 0)).containsExactly("trout", "it's a whale", "frog");
    }

    @Test
    void columnsLiteralListsAndIntegers() throws IOException {
        DocFields f = fields(task("""
                doc_to_text: question
                doc_to_target: label
                doc_to_choice: ["아니오", "예"]
                """));
        assertThat(f.text(arcDoc(), 0)).isEqualTo("Which is a mammal?");
        assertThat(f.target(arcDoc(), 0)).isEqualTo(1L);
        assertThat(f.choices(arcDoc(), 0)).containsExactly("아니오", "예");
        DocFields g = fields(task("doc_to_text: question\ndoc_to_target: 0\ndoc_to_choice: \"{{['x', question]}}\"\n"));
        assertThat(g.target(arcDoc(), 0)).isEqualTo(0L);
        assertThat(g.choices(arcDoc(), 0)).containsExactly("x", "Which is a mammal?");
        DocFields h = fields(task("doc_to_text: question\ndoc_to_target: \"{{answerKey}}\"\ndoc_to_choice: \"{{choices.label}}\"\n"));
        assertThat(h.target(arcDoc(), 0)).isEqualTo("B");
    }

    @Test
    void templateAndColumnErrorsNameTaskTemplateAndDocument() throws IOException {
        DocFields f = fields(task("doc_to_text: \"Q: {{questoin}}\"\ndoc_to_target: 0\ndoc_to_choice: \"{{choices.text}}\"\n"));
        assertThatThrownBy(() -> f.text(arcDoc(), 7)).isInstanceOf(EvomergeException.class)
                .hasMessageContaining("task t doc_to_text")
                .hasMessageContaining("'Q: {{questoin}}'")
                .hasMessageContaining("document 7")
                .hasMessageContaining("questoin");
        DocFields g = fields(task("doc_to_text: question\ndoc_to_target: 0\ndoc_to_choice: answers\n"));
        assertThatThrownBy(() -> g.choices(arcDoc(), 3)).hasMessageContaining("column 'answers'");
        DocFields h = fields(task("doc_to_text: question\ndoc_to_target: label\ndoc_to_choice: \"{{question}}\"\n"));
        assertThatThrownBy(() -> h.choices(arcDoc(), 2)).hasMessageContaining("not a Python list literal")
                .hasMessageContaining("document 2");
        Map<String, Object> noLabel = new LinkedHashMap<>(arcDoc());
        noLabel.remove("label");
        assertThatThrownBy(() -> h.target(noLabel, 5)).hasMessageContaining("document 5")
                .hasMessageContaining("column 'label'");
    }

    @Test
    void controlCharactersQuotesAndNewlinesSurviveRendering() throws IOException {
        DocFields f = fields(task("doc_to_text: \"{{question}}|{{answerKey}}\"\ndoc_to_target: 0\n"
                + "doc_to_choice: \"{{[question, answerKey]}}\"\n"));
        Map<String, Object> doc = arcDoc();
        doc.put("question", "a\u0006b \\ \"q\" it's\nnext");
        doc.put("answerKey", "\u0001");
        assertThat(f.text(doc, 0)).isEqualTo("a\u0006b \\ \"q\" it's\nnext|\u0001");
        assertThat(f.choices(doc, 0)).containsExactly("a\u0006b \\ \"q\" it's\nnext", "\u0001");
    }

    @Test
    void bareWordThatIsNotAColumnIsLiteralWithAWarning() throws IOException {
        List<String> warnings = new ArrayList<>();
        DocFields f = new DocFields(task("doc_to_text: questoin\ndoc_to_target: 0\ndoc_to_choice: [a, b]\n"), renderer,
                arcDoc().keySet(), warnings::add);
        assertThat(f.text(arcDoc(), 0)).isEqualTo("questoin");
        assertThat(warnings).singleElement().asString().contains("'questoin' is not a column");
    }
}
