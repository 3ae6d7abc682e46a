package dev.evomerge.evolve;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.evolve.llm.Secrets;
import dev.evomerge.evolve.store.RunMeta;
import dev.evomerge.evolve.store.RunStore;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;

/**
 * The options of a resumed run: each option keeps the value the run was started with (stored in run.db) unless the
 * command line gives it again. A changed option is announced, one line each; one that the saved optimizer state
 * already fixed (its seed, population, sampling settings) cannot change and is refused.
 */
public final class ResumedOptions {

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** Record components whose option names are not the component's name in kebab case. */
    private static final Map<String, String> OPTION_NAMES = Map.of(
            "storage", "--storage-path",
            "taskSearchPaths", "--task-search-path",
            "allowBenchmarkTasks", "--i-understand-the-depths-of-the-evils-i-am-unleashing");
    /** Never taken from the stored run: what names this invocation, the secret (never stored), this machine's cores. */
    private static final Set<String> OWN = Set.of("genomeFile", "storage", "resume", "apiKey", "threads");
    /** Baked into the optimizer state saved after each generation, so a new value would silently do nothing. */
    private static final Set<String> FIXED = Set.of("optimizer", "randomSeed", "forcePopulationSize", "sigmaLow",
            "sigmaHigh", "topK", "maxRetries", "llmHistory", "elitism", "sigma0",
            // the fitted estimators and stored fitness labels were made with these
            "fitnessEstimator", "anchors", "calibrationLimit");

    private ResumedOptions() {
    }

    /**
     * The options to resume with.
     *
     * @param given   the options as parsed from the command line (defaults for those not given)
     * @param matched whether an option (by its long name, e.g. "--max-generation") was given on the command line
     * @param changes receives "--max-generation 10 -> 20" for each option given with a new value
     * @return {@code given} unchanged unless it resumes a run that stored its options
     */
    public static EvolveOptions of(EvolveOptions options, Predicate<String> matched, Consumer<String> changes) {
        StoredOptions given = StoredOptions.of(options);
        if (!given.resume() || !Files.exists(given.storage().resolve(RunStore.FILE_NAME))) {
            return options; // not a resume, or one that prepare() refuses with its own sentence
        }
        String storedJson;
        try (RunStore s = RunStore.openReadOnly(given.storage())) {
            storedJson = s.meta(RunMeta.OPTIONS).orElse(null);
        }
        if (storedJson == null) {
            return options;
        }
        StoredOptions stored;
        try {
            // Components the run did not store (an older run) keep the command line's value.
            ObjectNode merged = JSON.valueToTree(given);
            JsonNode old = JSON.readTree(storedJson);
            old.properties().forEach(f -> {
                if (merged.has(f.getKey())) {
                    merged.set(f.getKey(), f.getValue());
                }
            });
            stored = JSON.treeToValue(merged, StoredOptions.class);
        } catch (JsonProcessingException | IllegalArgumentException e) {
            throw EvomergeException.usage("--resume: the options stored in " + given.storage().resolve(RunStore.FILE_NAME)
                    + " cannot be read: " + e.getMessage(), e);
        }
        RecordComponent[] components = StoredOptions.class.getRecordComponents();
        Object[] values = new Object[components.length];
        Class<?>[] types = new Class<?>[components.length];
        List<String> changed = new ArrayList<>();
        for (int i = 0; i < components.length; i++) {
            RecordComponent c = components[i];
            types[i] = c.getType();
            Object now = get(c, given);
            Object before = get(c, stored);
            String option = optionName(c.getName());
            if (OWN.contains(c.getName()) || !matched.test(option)) {
                values[i] = OWN.contains(c.getName()) ? now : before;
                if (before instanceof String url && c.getName().equals("llmBaseUrl") && !OWN.contains(c.getName())
                        && url.contains(Secrets.MASK)) {
                    // The stored URL had its credentials masked; resuming with the mask would be refused by the server.
                    throw EvomergeException.usage("--resume: the run's --llm-base-url held credentials, which are never"
                            + " stored (" + url + "); give --llm-base-url again.");
                }
                continue;
            }
            values[i] = now;
            if (c.getName().equals("llmBaseUrl") && now instanceof String url) {
                now = Secrets.redactUrl(url); // compared and shown as stored: masked, never with its credentials
            }
            if (!Objects.equals(comparable(now), comparable(before))) {
                if (FIXED.contains(c.getName())) {
                    throw EvomergeException.usage("--resume: " + option + " is part of the run's saved optimizer state ("
                            + text(before) + ") and cannot change; drop it or start a new run.");
                }
                changed.add(option + " " + text(before) + " -> " + text(now));
            }
        }
        changed.forEach(changes); // only once no option was refused
        try {
            return StoredOptions.class.getDeclaredConstructor(types).newInstance(values).options();
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("StoredOptions has a canonical constructor", e);
        }
    }

    /** The names of the options run.db stores, as its options row spells them (maxGeneration, llmModel, ...). */
    public static List<String> storedNames() {
        return java.util.Arrays.stream(StoredOptions.class.getRecordComponents()).map(RecordComponent::getName).toList();
    }

    /** The command-line name of a component: --max-generation for maxGeneration. */
    public static String optionName(String component) {
        String name = OPTION_NAMES.get(component);
        if (name != null) {
            return name;
        }
        return "--" + component.replaceAll("([A-Z])", "-$1").toLowerCase(Locale.ROOT);
    }

    private static Object get(RecordComponent c, StoredOptions o) {
        try {
            return c.getAccessor().invoke(o);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("record accessors are public", e);
        }
    }

    /** Paths compare by where they point (run.db stores them absolute). */
    private static Object comparable(Object v) {
        if (v instanceof Path p) {
            return p.toAbsolutePath().normalize();
        }
        if (v instanceof List<?> l) {
            return l.stream().map(ResumedOptions::comparable).toList();
        }
        return v;
    }

    private static String text(Object v) {
        return v == null ? "(unset)" : v.toString();
    }
}
