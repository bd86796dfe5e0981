package io.jdax.benchmarks;

import io.jdax.arch.Arch;
import io.jdax.arch.Archs;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

import java.lang.foreign.MemorySegment;
import java.util.concurrent.TimeUnit;

/**
 * The durable copy (C3/C4) against its anchors, one copy + fence per operation:
 * <ul>
 *   <li>{@code flushcache}: jdax's {@code copyFlushcache} + fence — the product;</li>
 *   <li>{@code nocache}: the non-temporal copy + fence — the store ceiling;</li>
 *   <li>{@code seedRegression}: non-temporal copy + write-back of every line + fence — the
 *       variant the seed review caught;</li>
 *   <li>{@code cachedWriteback}: plain copy + write-back of every line + fence;</li>
 *   <li>{@code memcpy}: plain copy, no durability;</li>
 *   <li>{@link LibpmemBenchmark}: libpmem's {@code pmem_memcpy_persist}.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"})
public class FlushcacheBenchmark {

    /** The JVM's Arch, checked to be the native one so no figure silently measures the portable copy. */
    @State(Scope.Benchmark)
    public static class Cpu {
        Arch arch;

        @Setup
        public void choose() {
            arch = Archs.current();
            if (!arch.hasCacheWriteback() && !Boolean.getBoolean("jdax.bench.allowPortable")) {
                throw new IllegalStateException("the native Arch did not load (" + Archs.selection().reason()
                        + "); these figures would not mean anything");
            }
        }
    }

    @Benchmark
    public void flushcache(Cpu cpu, CopyTarget t) {
        t.next();
        cpu.arch.copyFlushcache(t.src, t.srcOff, t.dst, t.dstOff, t.size);
        cpu.arch.fence();
    }

    @Benchmark
    public void nocache(Cpu cpu, CopyTarget t) {
        t.next();
        cpu.arch.copyNocache(t.src, t.srcOff, t.dst, t.dstOff, t.size);
        cpu.arch.fence();
    }

    @Benchmark
    public void seedRegression(Cpu cpu, CopyTarget t) {
        t.next();
        cpu.arch.copyNocache(t.src, t.srcOff, t.dst, t.dstOff, t.size);
        cpu.arch.writeback(t.dst, t.dstOff, t.size);
        cpu.arch.fence();
    }

    @Benchmark
    public void cachedWriteback(Cpu cpu, CopyTarget t) {
        t.next();
        MemorySegment.copy(t.src, t.srcOff, t.dst, t.dstOff, t.size);
        cpu.arch.writeback(t.dst, t.dstOff, t.size);
        cpu.arch.fence();
    }

    @Benchmark
    public void memcpy(CopyTarget t) {
        t.next();
        MemorySegment.copy(t.src, t.srcOff, t.dst, t.dstOff, t.size);
    }
}
