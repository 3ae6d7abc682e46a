package dev.evomerge.merge.method;

import dev.evomerge.core.tensor.Shape;

/**
 * The 1-D vectors of a row-major tensor along one axis (torch's {@code dim=} for norms and softmax): line i starts
 * at {@link #start(int)} and its elements are {@link #step()} apart. A 0-D tensor is one line of one element.
 */
record Lines(int count, int length, int step, int inner) {

    /** Lines along {@code axis} (negative counts from the end). */
    static Lines along(Shape shape, int axis) {
        int rank = shape.rank();
        if (rank == 0) {
            return new Lines(1, 1, 1, 1);
        }
        int a = axis < 0 ? rank + axis : axis;
        long len = shape.dim(a);
        long inner = 1;
        for (int i = a + 1; i < rank; i++) {
            inner *= shape.dim(i);
        }
        long outer = 1;
        for (int i = 0; i < a; i++) {
            outer *= shape.dim(i);
        }
        return new Lines(Math.toIntExact(outer * inner), Math.toIntExact(len), Math.toIntExact(inner),
                Math.toIntExact(inner));
    }

    /** The whole tensor as one line. */
    static Lines flat(int n) {
        return new Lines(1, n, 1, 1);
    }

    /** Flat index of element 0 of line i. */
    int start(int i) {
        int outer = i / inner;
        int in = i % inner;
        return outer * length * inner + in;
    }

    /** Flat index of element j of line i. */
    int at(int i, int j) {
        return start(i) + j * step;
    }
}
