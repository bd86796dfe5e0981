/*
 * jdax native-x86: the C interface behind io.jdax.x86.X86Native.
 *
 * Private to native-x86: the JNI functions in jdax_x86.c and the standalone
 * harness in src/bench/c are its only callers. Java sees the same numbers
 * (codes, bits) through X86Native; keep both in step.
 */
#ifndef JDAX_X86_H
#define JDAX_X86_H

#include <stddef.h>
#include <stdint.h>

/* A cache line, the unit of write-back (every x86-64 CPU reports 64). */
#define JDAX_LINE 64

/* cpuFeatures() bits. "usable" = the CPU has it and the OS saves its state. */
#define JDAX_F_SSE2        (1L << 0)
#define JDAX_F_CLFLUSH     (1L << 1)
#define JDAX_F_CLFLUSHOPT  (1L << 2)
#define JDAX_F_CLWB        (1L << 3)
#define JDAX_F_AVX2        (1L << 4)  /* usable: CPUID AVX2 + OS saves YMM */
#define JDAX_F_AVX512F     (1L << 5)  /* usable: CPUID AVX512F + OS saves ZMM */
#define JDAX_F_AVX2_CPU    (1L << 8)  /* CPUID says AVX2, whatever the OS does */
#define JDAX_F_AVX512F_CPU (1L << 9)  /* CPUID says AVX512F, whatever the OS does */

/* Kind codes: 0 asks for the best the CPU has; higher is preferred. */
#define JDAX_AUTO 0

#define JDAX_FLUSH_CLFLUSH    1
#define JDAX_FLUSH_CLFLUSHOPT 2
#define JDAX_FLUSH_CLWB       3

#define JDAX_COPY_MOVNTI 1   /* 8-byte movnti only */
#define JDAX_COPY_SSE2   2   /* 16-byte movntdq */
#define JDAX_COPY_AVX2   3   /* 32-byte vmovntdq */
#define JDAX_COPY_AVX512 4   /* 64-byte vmovntdq zmm */

/* Head alignment: 8, 16, 32 or 64 bytes, or adaptive (64 when the
 * destination is not 8-byte aligned, else 8). */
#define JDAX_HEAD_ADAPTIVE 1

/* configure() results (negative errno values, as the kernel returns them). */
#define JDAX_OK        0
#define JDAX_EINVAL  (-22)   /* unknown kind, bad head alignment or threshold */
#define JDAX_ENOTSUP (-95)   /* a kind this CPU (or OS) cannot run */

/* Defaults, chosen by measurement on the project machine: NATIVE-NOTES.md. */
#define JDAX_DEFAULT_THRESHOLD  0
#define JDAX_DEFAULT_HEAD_ALIGN JDAX_HEAD_ADAPTIVE
#define JDAX_MAX_THRESHOLD      (1L << 20)

long jdax_cpu_features(void);
int jdax_configure(int flush_kind, int copy_kind, long threshold, int head_align);
int jdax_flush_kind(void);
int jdax_copy_kind(void);
long jdax_threshold(void);
int jdax_head_align(void);

/* Entry points for FFM (and the JNI wrappers): exported from the library. */
#define JDAX_EXPORT __attribute__((visibility("default")))

void jdax_copy_nocache(void *dst, const void *src, size_t n);
void jdax_copy_flushcache(void *dst, const void *src, size_t n);
size_t jdax_copy_flushcache_traced(void *dst, const void *src, size_t n,
                                   uintptr_t *lines, size_t cap);
void jdax_writeback(const void *addr, size_t n);
JDAX_EXPORT void jdax_fence(void);
/* membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED): a full fence on every running
 * thread of the process; 1 if it ran, 0 where the kernel does not offer it. */
JDAX_EXPORT int jdax_membarrier(void);

/*
 * The guarded routines, one per primitive that touches memory it is given:
 * each returns 0, or the fault code of jdax_fault.h when the memory faulted
 * (then jdax_fault_addr() names the address; the bytes before it may have
 * been stored). Base + offset, so FFM hands segments over whole.
 * copy_mc is a plain copy (cached stores, no write-back): the reads of device
 * memory, which survive poison and lost pages like the writes do.
 */
JDAX_EXPORT int jdax_g_copy_nocache(void *dst, size_t doff, const void *src, size_t soff, size_t n);
JDAX_EXPORT int jdax_g_copy_flushcache(void *dst, size_t doff, const void *src, size_t soff, size_t n);
JDAX_EXPORT int jdax_g_copy_mc(void *dst, size_t doff, const void *src, size_t soff, size_t n);
JDAX_EXPORT int jdax_g_writeback(const void *addr, size_t off, size_t n);
JDAX_EXPORT uintptr_t jdax_g_fault_addr(void);

/*
 * The durable memory operations, libpmem2's pmem2_memset_fn/pmem2_memmove_fn:
 * durable when they return (write-back of the cached lines, then sfence),
 * unless flags say otherwise. memmove is overlap-safe in both directions.
 */
#define JDAX_MEM_NODRAIN     (1 << 0)  /* no sfence at the end */
#define JDAX_MEM_NONTEMPORAL (1 << 1)  /* non-temporal stores (the default) */
#define JDAX_MEM_TEMPORAL    (1 << 2)  /* cached stores, every line written back */
#define JDAX_MEM_WC          (1 << 3)  /* hint: write-combining = non-temporal */
#define JDAX_MEM_WB          (1 << 4)  /* hint: write-back = temporal */
#define JDAX_MEM_NOFLUSH     (1 << 5)  /* stores only: no write-back, no sfence */
JDAX_EXPORT int jdax_g_memset(void *dst, size_t off, size_t n, int c, int flags);
JDAX_EXPORT int jdax_g_memmove(void *dst, size_t doff, const void *src, size_t soff, size_t n, int flags);
/* The same stores, listing the lines written back (up to cap); for C4 tests. */
size_t jdax_memset_traced(void *dst, int c, size_t n, int flags, uintptr_t *lines, size_t cap);
size_t jdax_memmove_traced(void *dst, const void *src, size_t n, int flags, uintptr_t *lines, size_t cap);
JDAX_EXPORT int jdax_g_fault_simulate(void *addr, size_t off, int code, int lsb);

#endif
