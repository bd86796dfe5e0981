/*
 * hwpoison-probe.c — what the kernel does with madvise(MADV_HWPOISON) on a
 * page of a shared file mapping, and with later accesses to that page, seen
 * from C (a SIGBUS handler that records si_code, si_addr and si_addr_lsb and
 * goes on). Run INSIDE the jdax QEMU guest only, by hwpoison-probe-guest.sh:
 * a poisoned page stays out of use until the kernel reboots, so it refuses to
 * run unless JDAX_GUEST=1 and the kernel command line holds jdax.guest=1.
 *
 *   hwpoison-probe FILE file|daxfile|devdax [cross]
 *
 * file: a regular file (ftruncate + fallocate to 2 MiB), MAP_SHARED;
 * daxfile: the same with MAP_SHARED_VALIDATE | MAP_SYNC (a DAX filesystem);
 * devdax: device DAX, its first 2 MiB, MAP_SHARED.
 * cross: a forked child maps the same file and poisons the page; this process
 * (which mapped and touched it first) then accesses it.
 * Pages 0-7 hold 'a'..'h'; page 3 is poisoned, later page 5. One line per step.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MAP_SYNC
#define MAP_SYNC 0x80000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 3
#endif
#ifndef MADV_HWPOISON
#define MADV_HWPOISON 100
#endif
#define P 4096L
#define LEN (2L << 20)

static sigjmp_buf env;
static volatile sig_atomic_t got, resume;
static volatile int code, lsb;
static void *volatile addr;
static char *base;

static void on_sigbus(int sig, siginfo_t *si, void *ctx)
{
	(void)sig; (void)ctx;
	got = 1;
	code = si->si_code;
	lsb = si->si_addr_lsb;
	addr = si->si_addr;
	if (!resume)            /* a faulting access: skip it */
		siglongjmp(env, 1);
	/* a signal sent during a system call: return, to see what the call returns */
}

static const char *code_name(int c)
{
	switch (c) {
	case BUS_ADRALN: return "BUS_ADRALN";
	case BUS_ADRERR: return "BUS_ADRERR";
	case BUS_OBJERR: return "BUS_OBJERR";
	case BUS_MCEERR_AR: return "BUS_MCEERR_AR";
	case BUS_MCEERR_AO: return "BUS_MCEERR_AO";
	default: return "?";
	}
}

static void report(const char *what, long r, int err)
{
	if (got && resume)
		printf("  %-40s SIGBUS %s (si_code %d), si_addr = mapping + 0x%lx, si_addr_lsb %d; then returned %ld%s%s\n",
		       what, code_name(code), code, (long)((char *)addr - base), lsb, r, err ? ", " : "",
		       err ? strerror(err) : "");
	else if (got)
		printf("  %-40s SIGBUS %s (si_code %d), si_addr = mapping + 0x%lx, si_addr_lsb %d\n", what,
		       code_name(code), code, (long)((char *)addr - base), lsb);
	else if (err)
		printf("  %-40s returned %ld, errno %d (%s)\n", what, r, err, strerror(err));
	else
		printf("  %-40s returned %ld, no signal\n", what, r);
	fflush(stdout);
}

/* Runs STMT (which sets r, and err on failure) with the SIGBUS handler armed:
 * STEP skips a faulting access; CALL lets a system call return after a signal. */
#define STEP(what, stmt) do { \
	volatile long r = 0; volatile int err = 0; \
	got = 0; resume = 0; \
	if (!sigsetjmp(env, 1)) { stmt; } \
	report(what, r, err); \
} while (0)
#define CALL(what, stmt) do { \
	long r = 0; int err = 0; \
	got = 0; resume = 1; \
	stmt; \
	report(what, r, err); \
	resume = 0; \
} while (0)

static int in_guest(void)
{
	char cl[4096] = {0};
	FILE *f = fopen("/proc/cmdline", "r");
	const char *g = getenv("JDAX_GUEST");
	char *p;

	if (!f)
		return 0;
	if (!fread(cl, 1, sizeof cl - 1, f))
		cl[0] = 0;
	fclose(f);
	for (p = strtok(cl, " \n"); p; p = strtok(NULL, " \n"))
		if (!strcmp(p, "jdax.guest=1"))
			return g && !strcmp(g, "1");
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	const char *path, *kind;
	int fd, cross;
	volatile int flags = MAP_SHARED;   /* kept across the siglongjmps */
	char *pg;

	if (argc < 3) {
		fprintf(stderr, "usage: hwpoison-probe FILE file|daxfile|devdax [cross]\n");
		return 2;
	}
	if (!in_guest()) {
		fprintf(stderr, "hwpoison-probe: refusing: not in the jdax QEMU guest (no jdax.guest=1 on the kernel "
			"command line, or JDAX_GUEST != 1); a poisoned page stays out of use until reboot\n");
		return 2;
	}
	path = argv[1];
	kind = argv[2];
	cross = argc > 3 && !strcmp(argv[3], "cross");
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigaction(SIGBUS, &sa, NULL);

	fd = open(path, O_RDWR | (strcmp(kind, "devdax") ? O_CREAT : 0), 0600);
	if (fd < 0) {
		perror(path);
		return 1;
	}
	if (strcmp(kind, "devdax")) {
		if (ftruncate(fd, LEN) || fallocate(fd, 0, 0, LEN)) {
			perror("ftruncate/fallocate");
			return 1;
		}
	}
	if (!strcmp(kind, "daxfile"))
		flags = MAP_SHARED_VALIDATE | MAP_SYNC;
	base = mmap(NULL, LEN, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (base == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	printf("%s (%s%s): 2 MiB mapped at %p; pages 0-7 hold 'a'-'h'; page 3 poisoned\n", path, kind,
	       cross ? ", poisoned by a forked child through its own mapping" : "", (void *)base);
	for (int i = 0; i < 8; i++)
		memset(base + i * P, 'a' + i, P);
	pg = base + 3 * P;

	if (cross) {
		int st;
		pid_t c;

		fflush(stdout);   /* or the child writes this process's buffer again */
		c = fork();

		if (c == 0) {
			char *b2 = mmap(NULL, LEN, PROT_READ | PROT_WRITE, flags, fd, 0);

			if (b2 == MAP_FAILED)
				_exit(1);
			base = b2;
			(void)*(volatile char *)(b2 + 3 * P);
			CALL("child: madvise(page 3, MADV_HWPOISON)",
			     r = madvise(b2 + 3 * P, P, MADV_HWPOISON); err = r ? errno : 0);
			_exit(0);
		}
		waitpid(c, &st, 0);
		printf("  %-40s %s %d\n", "child ended", WIFSIGNALED(st) ? "by signal" : "with status",
		       WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	} else {
		CALL("madvise(page 3, MADV_HWPOISON)", r = madvise(pg, P, MADV_HWPOISON); err = r ? errno : 0);
	}
	STEP("load from page 3 (+100)", r = *(volatile char *)(pg + 100));
	STEP("load from page 3 (+200) again", r = *(volatile char *)(pg + 200));
	STEP("store to page 3 (+5)", *(volatile char *)(pg + 5) = 'Z'; r = 0);
	{
		char buf[P];

		STEP("pread(page 3)", r = pread(fd, buf, P, 3 * P); err = r < 0 ? errno : 0);
	}
	STEP("load from page 2 (== 'c'?)", r = *(volatile char *)(base + 2 * P + 7) == 'c');
	STEP("load from page 4 (== 'e'?)", r = *(volatile char *)(base + 4 * P + 7) == 'e');
	CALL("madvise(page 5, MADV_HWPOISON)", r = madvise(base + 5 * P, P, MADV_HWPOISON); err = r ? errno : 0);
	STEP("load from page 5", r = *(volatile char *)(base + 5 * P));
	munmap(base, LEN);
	base = mmap(NULL, LEN, PROT_READ | PROT_WRITE, flags, fd, 0);
	if (base == MAP_FAILED) {
		perror("mmap again");
		return 1;
	}
	STEP("mapped again: load from page 3", r = *(volatile char *)(base + 3 * P));
	STEP("mapped again: store to page 3", *(volatile char *)(base + 3 * P) = 'Q'; r = 0);
	STEP("mapped again: load from page 3", r = *(volatile char *)(base + 3 * P));
	return 0;
}
