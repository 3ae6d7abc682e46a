package dev.evomerge.evolve.pool;

import java.nio.file.Path;

/**
 * What the pool asks of one server's reload protocol ({@code --eval-server-reload}): serve the weights of a merged
 * candidate. Kept to one method so that each protocol (SGLang's and evomerge's update-weights-from-disk endpoint, vLLM's
 * reload, none) is a small adapter.
 */
interface WeightReload {

    /**
     * Makes the server serve the model in {@code merged} and returns the directory it now serves (its tokenizer is
     * read from there: a protocol that reloads from the served path moves the weights there).
     *
     * @throws ServerGoneException when the server does not answer
     * @throws RuntimeException    with a sentence naming the server when it answered but refused the weights (the
     *                             candidate fails; the server still serves its previous weights)
     */
    Path reload(Path merged);

    /** The protocol's option value, for messages. */
    String protocol();
}
