package dev.evomerge.eval.task;

/**
 * A {@code !function module.name} reference from a task YAML. evomerge runs no Python: the name is looked up in the
 * built-in registry of the function package (BuiltinFunctions).
 *
 * @param name the reference as written, e.g. {@code utils.process_results_mc2}
 */
public record FunctionRef(String name) {

    /** The part after the last dot: the Python function name. */
    public String functionName() {
        int dot = name.lastIndexOf('.');
        return dot < 0 ? name : name.substring(dot + 1);
    }

    @Override
    public String toString() {
        return "!function " + name;
    }
}
