package dev.evomerge.engine.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.evomerge.core.EvomergeException;
import dev.evomerge.core.io.JsonInput;
import dev.evomerge.core.io.Reasons;
import dev.evomerge.engine.tokenizer.TokenizerConfig;
import jinjava.javax.el.CompositeELResolver;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model's chat template (Jinja, Hugging Face conventions) that turns messages into the prompt text the model was
 * trained on. Rendered with Jinja2's settings as transformers uses them (trim_blocks, lstrip_blocks), the variables
 * {@code messages}, {@code add_generation_prompt}, {@code bos_token}, {@code eos_token}, {@code unk_token},
 * {@code pad_token}, the functions {@code raise_exception} and {@code strftime_now}, Python-style {@code tojson} and
 * Python {@code str} methods. Thread-safe.
 */
public final class ChatTemplate {

    /** Files that hold a template on their own; they take precedence over tokenizer_config.json, as in transformers. */
    public static final String JINJA_FILE = "chat_template.jinja";
    public static final String JSON_FILE = "chat_template.json";

    /** {@code x[::-1]}, which the template engine cannot parse; rewritten to {@code (x|reverse|list)}. */
    private static final Pattern REVERSE_SLICE =
            Pattern.compile("([A-Za-z_][A-Za-z0-9_]*(?:\\.[A-Za-z_][A-Za-z0-9_]*)*)\\[\\s*:\\s*:\\s*-1\\s*\\]");

    private final String name;
    private final String source;
    private final String runnable;
    private final String where;
    private final Map<String, String> specialTokens;
    private final Jinjava jinjava;

    private ChatTemplate(String name, String source, String where, Map<String, String> specialTokens) {
        this.name = name;
        this.source = source;
        this.runnable = rewrite(source);
        this.where = where;
        this.specialTokens = Map.copyOf(specialTokens);
        this.jinjava = newEngine();
    }

    /**
     * A template from its text.
     *
     * @param specialTokens variables such as {@code bos_token -> "<s>"} given to every render
     * @param where         what to name in error messages (a file)
     */
    public static ChatTemplate of(String source, Map<String, String> specialTokens, String where) {
        return new ChatTemplate("default", source, where, specialTokens);
    }

    /**
     * The {@code default} template of a model directory: chat_template.jinja, else chat_template.json, else
     * tokenizer_config.json's {@code chat_template}; empty when there is none. The special tokens come from
     * tokenizer_config.json.
     */
    public static Optional<ChatTemplate> load(Path modelDir) {
        return load(modelDir, null);
    }

    /** Like {@link #load(Path)} but picks the named template of a list ({@code null}: {@code default}). */
    public static Optional<ChatTemplate> load(Path modelDir, String templateName) {
        TokenizerConfig cfg = TokenizerConfig.read(modelDir);
        Map<String, String> special = new HashMap<>();
        cfg.bosToken().ifPresent(t -> special.put("bos_token", t));
        cfg.eosToken().ifPresent(t -> special.put("eos_token", t));
        cfg.unkToken().ifPresent(t -> special.put("unk_token", t));
        cfg.padToken().ifPresent(t -> special.put("pad_token", t));

        Path jinjaFile = modelDir.resolve(JINJA_FILE);
        Path jsonFile = modelDir.resolve(JSON_FILE);
        Map<String, String> templates;
        Path from;
        if (Files.isRegularFile(jinjaFile)) {
            from = jinjaFile;
            try {
                templates = Map.of("default", Files.readString(jinjaFile));
            } catch (IOException e) {
                throw EvomergeException.usage("could not read " + jinjaFile + ": " + Reasons.of(e), e);
            }
        } else if (Files.isRegularFile(jsonFile)) {
            from = jsonFile;
            JsonNode root;
            try {
                root = JsonInput.readTree(new ObjectMapper(), Files.readAllBytes(jsonFile));
            } catch (IOException e) {
                throw EvomergeException.usage(jsonFile + " is not valid JSON: " + Reasons.of(e), e);
            }
            templates = TokenizerConfig.parseChatTemplates(root.get("chat_template"), jsonFile, "chat_template");
            if (templates.isEmpty()) {
                throw EvomergeException.usage(jsonFile + " has no 'chat_template'.");
            }
        } else {
            from = modelDir.resolve(TokenizerConfig.FILE);
            templates = cfg.chatTemplates();
        }
        if (templates.isEmpty()) {
            return Optional.empty();
        }
        String pick = pick(templates, templateName, from);
        return Optional.of(new ChatTemplate(pick, templates.get(pick), from.toString(), special));
    }

    private static String pick(Map<String, String> templates, String wanted, Path from) {
        if (wanted != null) {
            if (!templates.containsKey(wanted)) {
                throw EvomergeException.usage(from + " has no chat template named '" + wanted + "'; it has "
                        + templates.keySet() + ".");
            }
            return wanted;
        }
        if (templates.containsKey("default")) {
            return "default";
        }
        if (templates.size() == 1) {
            return templates.keySet().iterator().next();
        }
        throw EvomergeException.usage(from + " has several chat templates " + templates.keySet()
                + " and none is named 'default'.");
    }

    private static Jinjava newEngine() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withElResolver(resolver)
                .withMaxOutputSize(64L << 20)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withIterateOverMapKeys(true)
                        .withEvaluateMapKeys(true)
                        .withKeepNullableLoopValues(true)
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withUsePyishObjectMapper(true)
                        .build())
                .build();
        Jinjava j = new Jinjava(config);
        j.registerFunction(new ELFunctionDefinition("", "raise_exception", TemplateFunctions.class,
                "raiseException", Object.class));
        j.registerFunction(new ELFunctionDefinition("", "strftime_now", TemplateFunctions.class,
                "strftimeNow", String.class));
        j.registerFilter(new PythonToJsonFilter());
        j.registerTag(new GenerationTag());
        return j;
    }

    /** The prompt for {@code messages}; with {@code addGenerationPrompt} it ends where the assistant's reply starts. */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        return render(messages, addGenerationPrompt, Map.of());
    }

    /**
     * Like {@link #render(List, boolean)} with extra template variables (e.g. {@code tools}, {@code date_string}).
     *
     * @throws EvomergeException (usage) with the template's message when it calls {@code raise_exception}, or naming
     *                           the template's error
     */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt, Map<String, Object> variables) {
        Map<String, Object> context = new HashMap<>(specialTokens);
        context.putAll(variables);
        List<Map<String, Object>> list = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            Map<String, Object> msg = new LinkedHashMap<>();
            msg.put("role", m.role());
            msg.put("content", m.content());
            list.add(msg);
        }
        context.put("messages", list);
        context.put("add_generation_prompt", addGenerationPrompt);
        RenderResult result = jinjava.renderForResult(runnable, context);
        for (TemplateError e : result.getErrors()) {
            if (e.getSeverity() != TemplateError.ErrorType.FATAL) {
                continue;
            }
            for (Throwable t = e.getException(); t != null; t = t.getCause()) {
                if (t instanceof TemplateFunctions.TemplateRaisedException raised) {
                    throw EvomergeException.usage("the chat template of " + where + " rejected the messages: "
                            + raised.getMessage());
                }
            }
            throw EvomergeException.usage("the chat template of " + where + " failed at line " + e.getLineno()
                    + ": " + e.getMessage());
        }
        return result.getOutput();
    }

    static String rewrite(String template) {
        Matcher m = REVERSE_SLICE.matcher(template);
        return m.replaceAll(r -> "(" + Matcher.quoteReplacement(r.group(1)) + "|reverse|list)");
    }

    /** The template's name ({@code default} unless picked from a list). */
    public String name() {
        return name;
    }

    /** The Jinja text as stored. */
    public String source() {
        return source;
    }

    @Override
    public String toString() {
        return "ChatTemplate[" + name + " from " + where + "]";
    }
}
