package dev.evomerge.evolve.llm;

/** Python's repr of nested int lists: the LLM is shown genomes in this form (floats via PythonFloat), not as JSON. */
final class PythonRepr {

    private PythonRepr() {
    }

    /** repr of a 4-level nested list of ints laid out row-major with the given dimensions. */
    static String ofNestedInts(int[] values, int[] dims) {
        StringBuilder sb = new StringBuilder();
        nest(sb, values, dims, 0, 0);
        return sb.toString();
    }

    private static int nest(StringBuilder sb, int[] values, int[] dims, int depth, int offset) {
        sb.append('[');
        for (int i = 0; i < dims[depth]; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            if (depth == dims.length - 1) {
                sb.append(values[offset++]);
            } else {
                offset = nest(sb, values, dims, depth + 1, offset);
            }
        }
        sb.append(']');
        return offset;
    }
}
