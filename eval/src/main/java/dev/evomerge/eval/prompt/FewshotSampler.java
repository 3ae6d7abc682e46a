package dev.evomerge.eval.prompt;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.eval.python.PythonRandom;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Picks few-shot examples as lm-eval's samplers do: {@code default} draws with {@code random.Random(seed).sample}
 * (one generator per task, consumed document by document in evaluation order); {@code first_n} takes the first ones.
 * One extra example is drawn when the few-shot split is the evaluated split, and the evaluated document is dropped.
 */
public final class FewshotSampler {

    private final List<Map<String, Object>> docs;
    private final boolean firstN;
    private final PythonRandom rnd;
    private final boolean sameSplit;
    private final String what;

    /**
     * @param sameSplit whether fewshot_split equals test_split (lm-eval's condition, None == None included)
     * @param what      names task and split for messages
     */
    public FewshotSampler(List<Map<String, Object>> docs, boolean firstN, long seed, boolean sameSplit, String what) {
        this.docs = List.copyOf(docs);
        this.firstN = firstN;
        this.rnd = new PythonRandom(seed);
        this.sameSplit = sameSplit;
        this.what = what;
    }

    /** The few-shot documents for {@code doc}. */
    public List<Map<String, Object>> sample(Map<String, Object> doc, int numFewshot) {
        int n = sameSplit ? numFewshot + 1 : numFewshot;
        if (n > docs.size()) {
            throw EvomergeException.usage(what + ": " + numFewshot + "-shot needs " + n
                    + " few-shot documents but only " + docs.size() + " are available");
        }
        List<Map<String, Object>> drawn = firstN ? docs.subList(0, n) : rnd.sample(docs, n);
        List<Map<String, Object>> out = new ArrayList<>(numFewshot);
        for (Map<String, Object> d : drawn) {
            if (!d.equals(doc) && out.size() < numFewshot) {
                out.add(d);
            }
        }
        return out;
    }
}
