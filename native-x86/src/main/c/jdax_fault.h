/*
 * jdax native-x86: faults inside jdax's own routines become error codes (C8).
 *
 * A copy, zero or write-back into memory that lost its backing (a mapped file
 * truncated by another process, a sparse file on a full filesystem) or that
 * is poisoned (a machine check on the load or store) raises SIGBUS at the
 * faulting instruction. Every routine that touches memory it was given runs
 * inside a guard: a per-thread marker naming the ranges it may touch and a
 * jump buffer. The SIGBUS handler, installed in front of whatever handler was
 * there (the JVM's), acts only when the faulting thread is inside a guard and
 * the fault address lies in one of the guard's ranges: it records the fault
 * and resumes the thread in jdax_fault_recover(), outside the signal frame,
 * which jumps back to the guard's entry point; the routine then returns the
 * fault code. Every other SIGBUS goes to the previous handler unchanged.
 * NATIVE-NOTES.md says why this is safe with HotSpot.
 */
#ifndef JDAX_FAULT_H
#define JDAX_FAULT_H

#include <stddef.h>
#include <stdint.h>

/* Guarded routines return 0, or a fault code: the signal's si_code in bits
 * 0-7 (BUS_ADRERR 2, BUS_OBJERR 3: the page lost its backing; BUS_MCEERR_AR
 * 4: poisoned media) and log2 of the faulting granule in bits 8-15 (the
 * kernel's si_addr_lsb; 0 when it gave none). jdax_fault_addr() then gives
 * the faulting address. */
#define JDAX_FAULT_CODE(rc) ((rc) & 0xff)
#define JDAX_FAULT_LSB(rc)  ((rc) >> 8 & 0xff)

struct jdax_guard {
	void *env[5];               /* __builtin_setjmp: frame, resume label, stack
	                             * (no mangling, no mask: ~5 ns cheaper than _setjmp) */
	uintptr_t lo[2], hi[2];     /* the ranges this routine may touch */
	uintptr_t addr;             /* written by the handler */
	int rc;
};

/* The calling thread's guard, NULL outside guarded routines. Initial-exec
 * TLS: a plain %fs-relative load, safe to read in a signal handler. */
extern __thread struct jdax_guard *jdax_current_guard __attribute__((tls_model("initial-exec")));

/* Installs the handler (once; the library's constructor calls it). */
void jdax_fault_init(void);
/* The address of this thread's last fault. */
uintptr_t jdax_fault_addr(void);
/* Whether the handler is installed, and what the previous one was:
 * 0 none (SIG_DFL), 1 a handler function, 2 SIG_IGN; 3: libjsig is preloaded,
 * so ours is chained behind the JVM's instead. -1: not installed. For jdax info. */
int jdax_fault_previous(void);
/* Clears the guard after a fault; returns the code to hand back. */
int jdax_fault_end(struct jdax_guard *g);
/* For tests: the fault code a guarded routine gets for a SIGBUS with this
 * si_code and lsb at addr, without a real fault (the thread signals itself). */
int jdax_fault_simulate(void *addr, int code, int lsb);

static inline __attribute__((always_inline))
void jdax_guard_ranges(struct jdax_guard *g, const void *a, size_t an, const void *b, size_t bn)
{
	g->lo[0] = (uintptr_t)a;
	g->hi[0] = (uintptr_t)a + an;
	g->lo[1] = (uintptr_t)b;
	g->hi[1] = (uintptr_t)b + bn;
	g->rc = 0;
}

/*
 * GUARD(g, a, an, b, bn) opens a guarded region in the calling function,
 * which must return int: on a fault inside the region, that function returns
 * the fault code at once. UNGUARD() closes it. Nothing between them may rely
 * on local variables changed after GUARD (they are not restored by the jump).
 */
#define JDAX_GUARD(g, a, an, b, bn) do { \
	jdax_guard_ranges(&(g), (a), (an), (b), (bn)); \
	if (__builtin_setjmp((g).env)) \
		return jdax_fault_end(&(g)); \
	jdax_current_guard = &(g); \
	__atomic_signal_fence(__ATOMIC_SEQ_CST); \
} while (0)

#define JDAX_UNGUARD() do { \
	__atomic_signal_fence(__ATOMIC_SEQ_CST); \
	jdax_current_guard = NULL; \
} while (0)

#endif
