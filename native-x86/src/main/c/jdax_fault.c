/*
 * jdax native-x86: the SIGBUS handler behind jdax_fault.h.
 *
 * Installed once, at library load, in front of the handler that was there
 * (HotSpot's, which stays in charge of every SIGBUS that is not ours).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* REG_RIP, REG_RSP, si_addr_lsb */
#endif
#include <immintrin.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "jdax_fault.h"

__thread struct jdax_guard *jdax_current_guard __attribute__((tls_model("initial-exec")));
static __thread uintptr_t last_fault __attribute__((tls_model("initial-exec")));

static struct sigaction previous;
static int installed;

#define PAGE_MASK ((uintptr_t)4095)

/* The fault lies in a range the routine was given (to the page: the kernel
 * may report a poisoned page by its first byte). */
static int covers(const struct jdax_guard *g, uintptr_t a)
{
	for (int i = 0; i < 2; i++)
		if (g->hi[i] > g->lo[i] && a >= (g->lo[i] & ~PAGE_MASK) && a < g->hi[i])
			return 1;
	return 0;
}

/* Where a faulting thread resumes, on its own stack, after the handler has
 * returned (so the kernel has restored its signal mask). */
__attribute__((noreturn, used))
static void jdax_fault_recover(void)
{
	__builtin_longjmp(jdax_current_guard->env, 1);
}

static void pass_on(int sig, siginfo_t *si, void *ctx)
{
	if (previous.sa_flags & SA_SIGINFO) {
		previous.sa_sigaction(sig, si, ctx);
	} else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
		previous.sa_handler(sig);
	} else {
		/* Nobody else wanted it: give the signal back its previous
		 * disposition. A fault then recurs at once and takes it (under
		 * libjsig: the JVM's handler sees the default and reports a
		 * fatal error); a signal sent by a process is sent again as it
		 * came (its code and sender kept: raise() would name this
		 * thread as the sender; queueing any code to oneself is allowed). */
		struct sigaction dfl;
		memset(&dfl, 0, sizeof dfl);
		dfl.sa_handler = SIG_DFL;
		sigaction(sig, &dfl, NULL);
		if (si->si_code <= 0)
			syscall(SYS_rt_tgsigqueueinfo, getpid(), (pid_t)syscall(SYS_gettid), sig, si);
	}
}

static void on_sigbus(int sig, siginfo_t *si, void *ctx)
{
	struct jdax_guard *g = jdax_current_guard;
	int code = si->si_code;

	/* Ours: raised by the kernel at an instruction of a guarded routine,
	 * for memory that routine was given. BUS_MCEERR_AO (an asynchronous
	 * machine-check notice) is not a fault of the current instruction. */
	if (g && g->rc == 0 && (code == BUS_ADRERR || code == BUS_OBJERR || code == BUS_MCEERR_AR) &&
	    covers(g, (uintptr_t)si->si_addr)) {
		ucontext_t *uc = ctx;
		greg_t sp = uc->uc_mcontext.gregs[REG_RSP];
		int lsb = code == BUS_MCEERR_AR ? si->si_addr_lsb : 0;

		g->addr = (uintptr_t)si->si_addr;
		g->rc = code | (lsb & 0xff) << 8;
		/* resume in jdax_fault_recover: below the red zone, with the
		 * stack aligned as just after a call */
		sp = ((sp - 256) & ~(greg_t)15) - 8;
		uc->uc_mcontext.gregs[REG_RSP] = sp;
		uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)jdax_fault_recover;
		return;
	}
	pass_on(sig, si, ctx);
}

void jdax_fault_init(void)
{
	struct sigaction sa, old;

	if (__atomic_exchange_n(&installed, 1, __ATOMIC_ACQ_REL))
		return;
	if (sigaction(SIGBUS, NULL, &old) != 0) {
		__atomic_store_n(&installed, 0, __ATOMIC_RELEASE);
		return;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigbus;
	if ((old.sa_flags & SA_SIGINFO) || (old.sa_handler != SIG_DFL && old.sa_handler != SIG_IGN)) {
		/* run as the handler we chain to expects to run */
		sa.sa_mask = old.sa_mask;
		sa.sa_flags = (old.sa_flags | SA_SIGINFO) & ~SA_RESETHAND;
	} else {
		sigemptyset(&sa.sa_mask);
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	}
	sigdelset(&sa.sa_mask, SIGBUS);
	sigdelset(&sa.sa_mask, SIGSEGV);
	if (sigaction(SIGBUS, &sa, &previous) != 0)
		__atomic_store_n(&installed, 0, __ATOMIC_RELEASE);
}

/* Defined only by libjsig (the JDK's signal-chaining library, preloaded): then
 * our sigaction() was intercepted, the JVM's handler stays installed, and it
 * calls ours for each SIGBUS it does not handle itself. */
extern struct sigaction *JVM_get_signal_action(int sig) __attribute__((weak));

int jdax_fault_previous(void)
{
	if (!__atomic_load_n(&installed, __ATOMIC_ACQUIRE))
		return -1;
	if (JVM_get_signal_action && JVM_get_signal_action(SIGBUS))
		return 3;
	if (previous.sa_flags & SA_SIGINFO)
		return 1;
	return previous.sa_handler == SIG_DFL ? 0 : previous.sa_handler == SIG_IGN ? 2 : 1;
}

__attribute__((target("avx")))
static void vzeroupper(void)
{
	_mm256_zeroupper();
}

int jdax_fault_end(struct jdax_guard *g)
{
	jdax_current_guard = NULL;
	/* the jump skipped the vzeroupper at the end of an AVX loop */
	if (__builtin_cpu_supports("avx"))
		vzeroupper();
	last_fault = g->addr;
	return g->rc;
}

uintptr_t jdax_fault_addr(void)
{
	return last_fault;
}

/* For tests: a guarded routine that receives the SIGBUS a fault at addr would
 * raise (sent by the thread to itself, which the kernel allows with any
 * si_code), so the poison path runs without poisoned hardware. */
int jdax_fault_simulate(void *addr, int code, int lsb)
{
	struct jdax_guard g;
	siginfo_t si;

	JDAX_GUARD(g, addr, 1, NULL, 0);
	memset(&si, 0, sizeof si);
	si.si_signo = SIGBUS;
	si.si_code = code;
	si.si_addr = addr;
	si.si_addr_lsb = (short)lsb;
	syscall(SYS_rt_tgsigqueueinfo, getpid(), (pid_t)syscall(SYS_gettid), SIGBUS, &si);
	JDAX_UNGUARD();
	return 0;
}
