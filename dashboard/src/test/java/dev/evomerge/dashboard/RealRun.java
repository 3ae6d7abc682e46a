package dev.evomerge.dashboard;

import dev.evomerge.evolve.CandidateEvaluationOptions;
import dev.evomerge.evolve.EvolutionLauncher;
import dev.evomerge.evolve.EvolveOptions;
import dev.evomerge.evolve.LlmOptions;
import dev.evomerge.evolve.OptimizerKind;
import dev.evomerge.evolve.SearchOptions;
import dev.evomerge.evolve.demo.HiddenRecipe;
import dev.evomerge.evolve.llm.ScriptedOpenAiServer.Reply;
import dev.evomerge.evolve.llm.ScriptedOpenAiServer;
import dev.evomerge.evolve.run.EvolutionListener;

import java.nio.file.Path;
import java.util.List;

/**
 * A real short evolution for the dashboard tests: synthetic models, the LLM strategy against a scripted OpenAI-protocol
 * server whose second thought is hostile HTML, and a third generation whose replies are unusable (a fallback).
 */
final class RealRun {

    static final String HOSTILE_THOUGHT = RunFixtures.HOSTILE_THOUGHT;
    static final int POPULATION = 5;
    static final int GENERATIONS = 3; // initial population + 3

    /** Runs the evolution into {@code storage} and returns the number of candidates. */
    static int write(Path work, Path storage) throws Exception {
        HiddenRecipe.Setup setup = HiddenRecipe.prepare(work, 9, 16, 2);
        String good = "[[[[80]], [[20]]], [[[25]], [[70]]]]";
        try (ScriptedOpenAiServer llm = new ScriptedOpenAiServer()) {
            llm.then(Reply.content("{\"thought\": \"start near the middle\", \"mean_genome\": [[[[50]], [[50]]], [[[50]], [[50]]]]}"))
                    .then(Reply.content("{\"thought\": " + ScriptedOpenAiServer.MAPPER.writeValueAsString(HOSTILE_THOUGHT)
                            + ", \"mean_genome\": " + good + "}"))
                    .then(Reply.content("not json"))
                    .then(Reply.content("{\"mean_genome\": [1, 2]}"))
                    .then(Reply.content("{\"mean_genome\": \"x\"}"));
            EvolveOptions o = new EvolveOptions(setup.genomeFile(), storage, false,
                    new SearchOptions(OptimizerKind.LLM, GENERATIONS, null, 3, POPULATION, false, null),
                    LlmOptions.of("gpt-4o", llm.baseUrl(), null), CandidateEvaluationOptions.inMemory(List.of(setup.taskDir()), 16, 2),
                    false, false, false);
            EvolutionLauncher launcher = new EvolutionLauncher(o, w -> { });
            launcher.run(launcher.prepare(), launcher::localEvaluator, new EvolutionListener() { });
        }
        return POPULATION * (GENERATIONS + 1);
    }

    private RealRun() {
    }
}
