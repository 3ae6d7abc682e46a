package dev.evomerge.eval.reload;

/** The inference servers evomerge knows how to reload, as detected from what a server says about itself. */
public enum ServerKind {
    SGLANG,
    VLLM,
    EVOMERGE,
    /** An OpenAI-compatible server none of the above: it can only be used with {@code --eval-server-reload none}. */
    UNKNOWN
}
