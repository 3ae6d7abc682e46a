package dev.evomerge.eval.estimate;

/**
 * One anchor item, standing for its cluster.
 *
 * @param column      its position in the task's item list
 * @param document    its document index
 * @param weight      its cluster's share of the task's items (the weights of a task's anchors sum to 1)
 * @param clusterSize how many items its cluster holds, itself included
 */
public record Anchor(int column, int document, double weight, int clusterSize) {
}
