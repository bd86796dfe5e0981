package io.jdax.testkit.sim;

/**
 * Where simulated media starts to be persistent (the kernel's {@code persistence_domain} of an
 * nvdimm region), which decides what a fence makes durable.
 */
public enum PersistenceDomain {
    /**
     * ADR: the CPU caches are volatile. A line is persistent once it was stored non-temporally
     * or written back, and then fenced by the same thread; a cached store that was never written
     * back survives only if the line happened to be evicted.
     */
    MEMORY_CONTROLLER,
    /**
     * eADR: the CPU caches are inside the persistence domain, flushed by the platform at power
     * loss. A fence makes every store made before it persistent, cached or not, written back or
     * not; what was stored after the last fence may or may not survive, as with ADR (a store
     * still on its way to the cache when the power failed). Here a fence settles every thread's
     * stores, kinder than a CPU (another core's stores may still be in its store buffer): plain
     * stores into a mapping carry no thread the simulator could know. Write-backs are counted
     * but change nothing.
     */
    CPU_CACHE
}
