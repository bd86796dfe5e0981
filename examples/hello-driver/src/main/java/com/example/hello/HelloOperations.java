package com.example.hello;

import io.jdax.dax.DaxAccessMode;
import io.jdax.dax.DaxDevice;
import io.jdax.dax.DaxOperations;
import io.jdax.dax.Kaddr;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * The driver's own work: one contiguous block of native memory, answered linearly. The device
 * core ({@link DaxDevice}) checks every argument, keeps the memory alive while it is used, and
 * supplies the copies, zeroing and flushing this driver leaves out.
 */
final class HelloOperations implements DaxOperations {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment memory;

    HelloOperations(long size) {
        this.memory = arena.allocate(size, DaxDevice.PAGE_SIZE);
    }

    @Override
    public long directAccess(long pgoff, long nrPages, DaxAccessMode mode, Kaddr kaddr) {
        kaddr.set(memory, pgoff * DaxDevice.PAGE_SIZE);
        return nrPages; // contiguous memory: every page asked for is there
    }

    @Override
    public void flush() {
        // process memory: nothing survives a restart, nothing to make durable
    }

    @Override
    public void release() {
        arena.close(); // the core calls this once, after every caller has left
    }
}
