package dev.evomerge.eval.synth;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.eval.model.LanguageModel;
import dev.evomerge.eval.model.TextTokenizer;
import dev.evomerge.eval.task.ResolvedYaml;
import dev.evomerge.eval.task.TaskConfig;
import dev.evomerge.eval.task.TaskConfigParser;
import dev.evomerge.eval.task.TaskFile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Writes small synthetic lm-eval tasks (a task YAML plus {@code data/train.jsonl} and {@code data/test.jsonl}) for
 * tests, demos and benchmarks. Labels can come from a hidden "teacher" model ({@link TeacherLabeler}), so that a
 * model scores higher the closer it is to the teacher. Deterministic for a seed (and teacher).
 */
public final class SyntheticTasks {

    /**
     * What to generate.
     *
     * @param name      the task name
     * @param rows      test documents
     * @param trainRows training documents (few-shot source)
     * @param choices   choices per question (multiple choice)
     * @param seed      seed of the random words
     */
    public record Options(String name, int rows, int trainRows, int choices, long seed) {
        public Options {
            if (name == null || !name.matches("[A-Za-z0-9_\\-.]+")) {
                throw EvomergeException.usage("task name must be letters, digits, '_', '-' or '.', got '" + name + "'");
            }
            if (rows < 1 || trainRows < 0) {
                throw EvomergeException.usage("--rows must be at least 1 and --train-rows 0 or more, got " + rows
                        + " and " + trainRows);
            }
            if (choices < 2 || choices > 26) {
                throw EvomergeException.usage("--choices must be between 2 and 26, got " + choices);
            }
        }
    }

    /** What was written. */
    public record Written(Path directory, Path yaml, String taskName, int rows) {
    }

    private static final String WORDS = "apple river stone cloud green quick silver winter garden paper candle "
            + "window mountain forest yellow bright purple orange simple gentle market summer planet rocket "
            + "castle dragon pencil button mirror bridge island jacket ladder marble needle ocean pillow "
            + "rabbit saddle tunnel velvet wagon anchor basket copper desert engine feather glass hammer "
            + "kettle lemon meadow nickel orchard pepper quartz ribbon shadow thunder valley walnut "
            + "blue red cold warm fast slow tall short soft hard old new dark light loud quiet early late "
            + "sun moon star tree bird fish door road rain snow wind fire salt milk bread tea cup hat box "
            + "king queen farmer doctor sailor painter teacher baker singer driver";
    private static final ObjectMapper JSON = new ObjectMapper();

    private SyntheticTasks() {
    }

    /**
     * A multiple-choice task: a question of random words and {@code choices} one-word answers. With a teacher the
     * gold answer is the teacher's most likely choice; without one it is drawn at random.
     *
     * @param tokenizer when given, choices are words of equal token count under it (so that answer length does
     *                  not decide the teacher's preference)
     */
    public static Written multipleChoice(Path out, Options o, Optional<LanguageModel> teacher,
                                         Optional<TextTokenizer> tokenizer) {
        SplittableRandom rnd = new SplittableRandom(o.seed());
        List<String> words = wordsOfEqualTokenCount(tokenizer, o.choices());
        List<Map<String, Object>> test = new ArrayList<>();
        List<Map<String, Object>> train = new ArrayList<>();
        for (int i = 0; i < o.rows() + o.trainRows(); i++) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("id", o.name() + "-" + i);
            doc.put("question", phrase(rnd, 5));
            doc.put("choices", distinct(rnd, words, o.choices()));
            doc.put("label", (long) rnd.nextInt(o.choices()));
            (i < o.rows() ? test : train).add(doc);
        }
        String yaml = header("Synthetic multiple-choice task written by `evomerge synth task mc`"
                        + teacher.map(t -> "; labels are the answers of teacher " + t.name()).orElse("; labels are random"),
                o.name(), "multiple_choice") + """
                doc_to_target: label
                doc_to_choice: choices
                metric_list:
                  - metric: acc
                    aggregation: mean
                    higher_is_better: true
                  - metric: acc_norm
                    aggregation: mean
                    higher_is_better: true
                """ + metadata(o.seed());
        return write(out, o, yaml, test, train, (config, docs) -> {
            if (teacher.isPresent()) {
                List<Integer> labels = TeacherLabeler.multipleChoice(config, docs, teacher.get());
                for (int i = 0; i < docs.size(); i++) {
                    docs.get(i).put("label", (long) labels.get(i));
                }
            }
        });
    }

    /**
     * A generate_until task of small sums ("What is 3 plus 4?"). Without a teacher the target is the true sum; with
     * one it is the teacher's greedy answer (cut at the first newline).
     */
    public static Written generation(Path out, Options o, Optional<LanguageModel> teacher, int maxGenToks) {
        if (maxGenToks < 1) {
            throw EvomergeException.usage("--max-gen-toks must be at least 1, got " + maxGenToks);
        }
        SplittableRandom rnd = new SplittableRandom(o.seed());
        List<Map<String, Object>> test = new ArrayList<>();
        List<Map<String, Object>> train = new ArrayList<>();
        for (int i = 0; i < o.rows() + o.trainRows(); i++) {
            int a = rnd.nextInt(1, 50);
            int b = rnd.nextInt(1, 50);
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("id", o.name() + "-" + i);
            doc.put("question", "What is " + a + " plus " + b + "?");
            doc.put("answer", String.valueOf(a + b));
            (i < o.rows() ? test : train).add(doc);
        }
        String yaml = header("Synthetic generation task written by `evomerge synth task gen`"
                        + teacher.map(t -> "; targets are the greedy answers of teacher " + t.name())
                        .orElse("; targets are the true sums"), o.name(), "generate_until") + """
                doc_to_target: "{{answer}}"
                generation_kwargs:
                  until:
                    - "\\n"
                  max_gen_toks: %d
                  do_sample: false
                metric_list:
                  - metric: exact_match
                    aggregation: mean
                    higher_is_better: true
                    ignore_case: true
                    regexes_to_ignore:
                      - "^\\\\s+"
                      - "\\\\s+$"
                """.formatted(maxGenToks) + metadata(o.seed());
        return write(out, o, yaml, test, train, (config, docs) -> {
            if (teacher.isPresent()) {
                List<String> answers = TeacherLabeler.generation(config, docs, teacher.get());
                for (int i = 0; i < docs.size(); i++) {
                    docs.get(i).put("answer", answers.get(i));
                }
            }
        });
    }

    /**
     * The first lines of a synthetic task file: a comment saying how it was written, the task's name, its JSON data
     * files and splits, its output type and the question prompt.
     */
    private static String header(String comment, String name, String outputType) {
        return """
                # %s.
                task: %s
                dataset_path: json
                dataset_kwargs:
                  data_files:
                    train: data/train.jsonl
                    test: data/test.jsonl
                output_type: %s
                training_split: train
                test_split: test
                doc_to_text: "Question: {{question}}\\nAnswer:"
                """.formatted(comment, name, outputType);
    }

    private static String metadata(long seed) {
        return """
                metadata:
                  version: 1.0
                  seed: %d
                """.formatted(seed);
    }

    @FunctionalInterface
    private interface Labeling {
        void label(TaskConfig config, List<Map<String, Object>> docs);
    }

    private static Written write(Path out, Options o, String yaml, List<Map<String, Object>> test,
                                 List<Map<String, Object>> train, Labeling labeling) {
        Path target = out.toAbsolutePath().normalize();
        checkEmpty(target);
        Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp-" + System.nanoTime());
        try {
            Files.createDirectories(tmp.resolve("data"));
            Path yamlFile = tmp.resolve(o.name() + ".yaml");
            Files.writeString(yamlFile, yaml, StandardCharsets.UTF_8);
            TaskConfig config = TaskConfigParser.parse(ResolvedYaml.load(new TaskFile.OnDisk(yamlFile)), w -> { });
            List<Map<String, Object>> all = new ArrayList<>(test);
            all.addAll(train);
            labeling.label(config, all);
            Files.writeString(tmp.resolve("data/test.jsonl"), jsonl(test), StandardCharsets.UTF_8);
            Files.writeString(tmp.resolve("data/train.jsonl"), jsonl(train), StandardCharsets.UTF_8);
            if (Files.isDirectory(target)) {
                Files.delete(target);
            }
            Files.createDirectories(target.getParent());
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            return new Written(target, target.resolve(o.name() + ".yaml"), o.name(), test.size());
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw EvomergeException.runtime("cannot write the synthetic task to " + target + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            deleteQuietly(tmp);
            throw e;
        }
    }

    private static void checkEmpty(Path target) {
        if (Files.exists(target)) {
            boolean empty;
            try (Stream<Path> s = Files.list(target)) {
                empty = s.findAny().isEmpty();
            } catch (IOException e) {
                throw EvomergeException.usage(target + " exists and is not a readable directory");
            }
            if (!empty) {
                throw EvomergeException.usage(target + " is not empty; give a new or empty directory");
            }
        }
    }

    private static void deleteQuietly(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a leftover temporary directory is harmless
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }

    private static String jsonl(List<Map<String, Object>> docs) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Map<String, Object> d : docs) {
            sb.append(JSON.writeValueAsString(d)).append('\n');
        }
        return sb.toString();
    }

    private static String phrase(SplittableRandom rnd, int n) {
        String[] all = WORDS.split(" ");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(all[rnd.nextInt(all.length)]);
        }
        return sb.toString();
    }

    private static List<String> distinct(SplittableRandom rnd, List<String> words, int n) {
        List<String> pool = new ArrayList<>(words);
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(pool.remove(rnd.nextInt(pool.size())));
        }
        return out;
    }

    /** The largest group of built-in words sharing one token count (" word" under the tokenizer). */
    static List<String> wordsOfEqualTokenCount(Optional<TextTokenizer> tokenizer, int atLeast) {
        List<String> all = List.of(WORDS.split(" "));
        if (tokenizer.isEmpty()) {
            return all;
        }
        TreeMap<Integer, List<String>> byCount = new TreeMap<>();
        for (String w : all) {
            byCount.computeIfAbsent(tokenizer.get().encode(" " + w, false).length, k -> new ArrayList<>()).add(w);
        }
        List<String> best = byCount.values().stream().max(Comparator.comparingInt(List::size)).orElseThrow();
        return best.size() >= atLeast ? best : all;
    }
}
