package dev.evomerge.merge.config;

import dev.evomerge.core.EvomergeException;

import java.util.Objects;

/**
 * A model as a merge config names it: {@code path}, {@code path@revision}, {@code path+lora} or
 * {@code path@rev+lora@rev}, plus the optional {@code override_architecture} of the mapping form.
 * Equality is by value, so the same string twice is the same model (as in mergekit).
 *
 * @param path                 local directory (or, for mergekit, a Hugging Face repo id)
 * @param revision             the {@code @revision} part, or null
 * @param loraPath             the {@code +lora} part, or null
 * @param loraRevision         the lora's {@code @revision}, or null
 * @param overrideArchitecture replaces {@code architectures[0]} of the model's config.json, or null
 */
public record ModelReference(String path, String revision, String loraPath, String loraRevision,
                             String overrideArchitecture) {

    public ModelReference {
        Objects.requireNonNull(path, "path");
        if (path.isBlank()) {
            throw EvomergeException.usage("A model reference is empty: give a model directory.");
        }
    }

    /** A plain local path with no revision, lora or override. */
    public static ModelReference of(String path) {
        return new ModelReference(path, null, null, null, null);
    }

    /**
     * Parses the string form. Like mergekit, more than one {@code +}, or more than one {@code @} in a part, is an error.
     */
    public static ModelReference parse(String text) {
        String s = text.trim();
        if (s.isEmpty()) {
            throw EvomergeException.usage("A model reference is empty: give a model directory.");
        }
        String[] plus = s.split("\\+", -1);
        if (plus.length > 2) {
            throw EvomergeException.usage("Model reference '" + text
                    + "' has more than one '+': expected path[@revision][+lora[@revision]].");
        }
        String[] model = splitRevision(plus[0], text);
        String[] lora = plus.length == 2 ? splitRevision(plus[1], text) : new String[] {null, null};
        return new ModelReference(model[0], model[1], lora[0], lora[1], null);
    }

    private static String[] splitRevision(String part, String whole) {
        String[] at = part.split("@", -1);
        if (at.length > 2) {
            throw EvomergeException.usage("Model reference '" + whole
                    + "' has more than one '@' in one part: expected path[@revision][+lora[@revision]].");
        }
        if (at[0].isEmpty() || (at.length == 2 && at[1].isEmpty())) {
            throw EvomergeException.usage("Model reference '" + whole
                    + "' has an empty path or revision: expected path[@revision][+lora[@revision]].");
        }
        return new String[] {at[0], at.length == 2 ? at[1] : null};
    }

    /** This reference with an architecture override. */
    public ModelReference withOverrideArchitecture(String architecture) {
        return new ModelReference(path, revision, loraPath, loraRevision, architecture);
    }

    public boolean hasLora() {
        return loraPath != null;
    }

    /** The string form mergekit prints and parses ({@code path@rev+lora@rev}). */
    @Override
    public String toString() {
        StringBuilder b = new StringBuilder(path);
        if (revision != null) {
            b.append('@').append(revision);
        }
        if (loraPath != null) {
            b.append('+').append(loraPath);
            if (loraRevision != null) {
                b.append('@').append(loraRevision);
            }
        }
        return b.toString();
    }
}
