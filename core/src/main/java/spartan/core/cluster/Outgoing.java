package spartan.core.cluster;

/** What a node queues for publishing: a note, addressed by presence or already addressed. */
interface Outgoing {}
