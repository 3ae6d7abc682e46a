package dev.evomerge.eval;

import dev.evomerge.core.EvomergeException;
import dev.evomerge.eval.python.PythonValues;

import java.util.ArrayList;
import java.util.List;

/**
 * The gold answer of a multiple-choice document as lm-eval reads it: an index, the text of a choice, or a list of
 * indices. An answer outside the choices is an error naming the document (lm-eval only warns and scores 0).
 */
final class Gold {

    private Gold() {
    }

    /** An Integer index, or a List of Integer indices when the target is a list. */
    static Object resolve(Object target, List<String> choices, String task, int doc) {
        if (target instanceof List<?> list) {
            List<Integer> out = new ArrayList<>(list.size());
            for (Object o : list) {
                out.add(index(o, choices, task, doc));
            }
            return out;
        }
        return index(target, choices, task, doc);
    }

    private static int index(Object o, List<String> choices, String task, int doc) {
        if (o instanceof Number n) {
            long i = n.longValue();
            if (i < 0 || i >= choices.size()) {
                throw EvomergeException.usage("task " + task + ": document " + doc + " has gold answer index " + i
                        + ", outside its " + choices.size() + " choices");
            }
            return (int) i;
        }
        String s = PythonValues.str(o);
        int i = choices.indexOf(s);
        if (i < 0) {
            throw EvomergeException.usage("task " + task + ": document " + doc + " has gold answer "
                    + PythonValues.stringRepr(s) + ", which is not one of its choices " + PythonValues.repr(choices));
        }
        return i;
    }
}
