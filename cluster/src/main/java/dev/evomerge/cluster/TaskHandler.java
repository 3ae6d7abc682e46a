package dev.evomerge.cluster;

import com.hazelcast.core.HazelcastInstance;

/** What runs a {@link SignedTask} on a worker: the {@link WorkerGuard}, found in the member's user context. */
interface TaskHandler {

    SignedReply handle(SignedTask task, HazelcastInstance hz);
}
