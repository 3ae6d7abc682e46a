package dev.evomerge.engine;

/**
 * One loading step: {@code tensorsDone} of {@code tensorsTotal} tensors and {@code bytesDone} of
 * {@code bytesTotal} checkpoint bytes are loaded; {@code tensorName} is the one just finished.
 */
public record LoadProgress(String tensorName, int tensorsDone, int tensorsTotal, long bytesDone, long bytesTotal) {
}
