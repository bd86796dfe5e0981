/*
 * Correctness of jdax_x86.c outside Java: byte-exact copies with untouched
 * guards, for every copy loop and flush kind this CPU runs, and C4 line
 * accounting through the traced copy.
 *
 * C4 is checked two ways. This file defines memcpy, so every cached store the
 * library makes (it makes them all with memcpy; its non-temporal stores are
 * intrinsics) is logged: the lines written back must be exactly the lines that
 * got a cached store, each once. And both must match the rule as stated in
 * NATIVE-NOTES.md, computed here from (dst, n, threshold, head alignment).
 *
 * Ends with "N passed, N failed"; exit status 1 on any failure.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jdax_fault.h"
#include "jdax_x86.h"

/* ---- the memcpy spy ---- */

#define MAX_LOG 64
#define MAX_LINES 128   /* > 4096 / 64 + 2, the most the largest tested threshold writes back */
static int spying;
static size_t nlog;
static struct { uintptr_t start, end; } logged[MAX_LOG];

static void spy(void *d, size_t n)
{
	if (spying && n) {
		if (nlog < MAX_LOG) {
			logged[nlog].start = (uintptr_t)d;
			logged[nlog].end = (uintptr_t)d + n;
		}
		nlog++;
	}
}

/* The library's cached stores all go through these three; its non-temporal
 * stores are intrinsics. Byte loops, overlap-safe, so they need nothing else. */
/* (no-tree-loop-distribute-patterns: the loops must not become calls to themselves) */
__attribute__((optimize("no-tree-loop-distribute-patterns")))
void *memmove(void *d, const void *s, size_t n)
{
	unsigned char *dd = d;
	const unsigned char *ss = s;
	spy(d, n);
	if (dd < ss)
		for (size_t i = 0; i < n; i++)
			dd[i] = ss[i];
	else
		for (size_t i = n; i > 0; i--)
			dd[i - 1] = ss[i - 1];
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	return memmove(d, s, n);
}

__attribute__((optimize("no-tree-loop-distribute-patterns")))
void *memset(void *d, int c, size_t n)
{
	unsigned char *dd = d;
	spy(d, n);
	for (size_t i = 0; i < n; i++)
		dd[i] = (unsigned char)c;
	return d;
}

/* ---- bookkeeping ---- */

static long passed, failed;
static int reported;

#define CHECK(cond, ...) do { \
	if (cond) { passed++; } else { \
		failed++; \
		if (reported++ < 30) { printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } \
	} } while (0)

#define GUARD 256
#define MAXN ((1 << 20) + 7 + 64)
static unsigned char *src_buf, *dst_buf;
static unsigned char fill = 0xa5;

static const char *copy_name[] = { "auto", "movnti", "sse2", "avx2", "avx512" };
static const char *flush_name[] = { "auto", "clflush", "clflushopt", "clwb" };

/* lines [a, b) in line numbers covering byte range [start, end) */
static void add_lines(unsigned char *set, uintptr_t base, uintptr_t start, uintptr_t end)
{
	for (uintptr_t p = start & ~(uintptr_t)63; start < end && p < end; p += 64)
		set[(p - base) / 64] = 1;
}

/* ---- one copy, checked ---- */

static unsigned char *want, *spied;   /* per-line flags, relative to dst_buf */

static void one(int flushcache, size_t da, size_t sa, size_t n)
{
	unsigned char *d = dst_buf + GUARD + da, *s = src_buf + sa;
	size_t total = GUARD + 64 + n + GUARD;
	size_t T = (size_t)jdax_threshold(), A = (size_t)jdax_head_align();

	fill = (unsigned char)(fill * 7 + 1);
	memset(dst_buf, fill, total);

	if (!flushcache) {
		jdax_copy_nocache(d, s, n);
	} else {
		uintptr_t lines[MAX_LINES];
		nlog = 0;
		spying = 1;
		size_t count = jdax_copy_flushcache_traced(d, s, n, lines, MAX_LINES);
		spying = 0;

		size_t nlines = total / 64 + 2;
		memset(want, 0, nlines);
		memset(spied, 0, nlines);
		uintptr_t base = (uintptr_t)dst_buf, ud = (uintptr_t)d;
		/* the rule: under the threshold every line; else the cached head up
		 * to the head alignment and, when the rest does not end on a 4-byte
		 * piece, the last partial line */
		if (n < T) {
			add_lines(want, base, ud, ud + n);
		} else {
			size_t a = A != JDAX_HEAD_ADAPTIVE ? A : ud % 8 ? 64 : 8;
			size_t h = -ud & (a - 1);
			if (h > n)
				h = n;
			size_t t = (n - h) & 3 ? (ud + n) % 64 : 0;
			if (t > n - h)
				t = n - h;
			add_lines(want, base, ud, ud + h);
			add_lines(want, base, ud + n - t, ud + n);
		}
		CHECK(nlog <= MAX_LOG, "too many memcpy calls %zu", nlog);
		for (size_t i = 0; i < nlog && i < MAX_LOG; i++)
			add_lines(spied, base, logged[i].start, logged[i].end);
		size_t nwant = 0, dup = 0, stray = 0;
		for (size_t i = 0; i < nlines; i++)
			nwant += want[i];
		for (size_t i = 0; i < count && i < MAX_LINES; i++) {
			size_t l = (lines[i] - base) / 64;
			if (lines[i] & 63 || lines[i] < base || l >= nlines || !want[l])
				stray++;
			else if (want[l] == 2)
				dup++;
			else
				want[l] = 2;
		}
		CHECK(count == nwant && !dup && !stray,
		      "lines: n=%zu da=%zu T=%zu A=%zu: %zu written back, rule wants %zu, %zu dup, %zu stray",
		      n, da, T, A, count, nwant, dup, stray);
		size_t diff = 0;
		for (size_t i = 0; i < nlines; i++)
			diff += (want[i] != 0) != (spied[i] != 0);
		CHECK(!diff, "lines: n=%zu da=%zu T=%zu A=%zu: %zu lines differ between "
		      "cached stores seen and lines written back", n, da, T, A, diff);
		if (n >= T)
			CHECK(count <= 2, "n=%zu over threshold wrote back %zu lines", n, count);
		if (n >= T && n % 64 == 0 && (ud & 63) == 0)
			CHECK(count == 0, "aligned n=%zu wrote back %zu lines", n, count);
	}

	size_t bad = 0;
	for (size_t i = 0; i < total; i++) {
		unsigned char *p = dst_buf + i;
		if (p >= d && p < d + n)
			bad += *p != s[p - d];
		else
			bad += *p != fill;
	}
	CHECK(!bad, "%s %s/%s T=%ld A=%d: da=%zu sa=%zu n=%zu: %zu bytes wrong",
	      flushcache ? "flushcache" : "nocache", copy_name[jdax_copy_kind()],
	      flush_name[jdax_flush_kind()], jdax_threshold(), jdax_head_align(), da, sa, n, bad);
}

static const size_t big[] = { 4095, 4096, 4097, 65536 + 13, (1 << 20) + 7 };

static void matrix(int full_sa)
{
	for (size_t da = 0; da < 64; da++)
		for (size_t sa = 0; sa < 64; sa += full_sa ? 1 : 13)
			for (size_t n = 0; n <= 300; n++) {
				one(1, da, sa, n);
				one(0, da, sa, n);
			}
	for (size_t i = 0; i < sizeof big / sizeof big[0]; i++)
		for (size_t da = 0; da < 64; da++)
			for (size_t sa = 0; sa < 64; sa += 21) {
				one(1, da, sa, big[i]);
				one(0, da, sa, big[i]);
			}
}

/* ---- faults (C8): a page that loses its backing is a return code ---- */

typedef int (*guarded_fn)(void *dst, size_t doff, const void *src, size_t soff, size_t n);

static int sigbus_blocked(void)
{
	sigset_t set;
	sigprocmask(SIG_BLOCK, NULL, &set);
	return sigismember(&set, SIGBUS);
}

static void faults(void)
{
	const size_t page = 4096;
	int fd = memfd_create("jdax-fault-test", 0);
	CHECK(fd >= 0, "memfd_create");
	if (fd < 0)
		return;
	CHECK(ftruncate(fd, 4 * page) == 0, "ftruncate");
	char *map = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(map != MAP_FAILED, "mmap");
	if (map == MAP_FAILED)
		return;
	memset(map, 1, 4 * page);
	/* what another process does to a file we mapped: pages 1..3 are gone */
	CHECK(ftruncate(fd, page) == 0, "ftruncate to one page");

	/* ordered: the non-temporal copies store front to back, so they fault
	 * on the first line of page 1; memcpy may touch any line of the range first */
	static const struct { const char *name; guarded_fn fn; int to_map, ordered; } ops[] = {
		{ "copy_flushcache", jdax_g_copy_flushcache, 1, 1 },
		{ "copy_nocache", jdax_g_copy_nocache, 1, 1 },
		{ "copy_mc to", jdax_g_copy_mc, 1, 0 },
		{ "copy_mc from", jdax_g_copy_mc, 0, 0 },
	};
	unsigned char *buf = src_buf;
	for (int round = 0; round < 200; round++) {
		for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
			size_t start = page - 100 - (size_t)round % 50, n = 300 + (size_t)round * 13;
			int rc = ops[i].to_map ? ops[i].fn(map, start, buf, 0, n) : ops[i].fn(buf, 0, map, start, n);
			uintptr_t at = jdax_fault_addr();
			CHECK(JDAX_FAULT_CODE(rc) == BUS_ADRERR, "%s over a truncated page: code %d", ops[i].name, rc);
			uintptr_t lo = (uintptr_t)map + page;
			uintptr_t hi = ops[i].ordered ? lo + 64 : (uintptr_t)map + start + n;
			CHECK(at >= lo && at < hi, "%s: fault at map+%ld, want [%ld, %ld)", ops[i].name,
			      (long)(at - (uintptr_t)map), (long)(lo - (uintptr_t)map), (long)(hi - (uintptr_t)map));
			CHECK(!sigbus_blocked(), "%s: SIGBUS left blocked after recovery", ops[i].name);
			CHECK(jdax_current_guard == NULL, "%s: guard left armed", ops[i].name);
		}
	}
	/* the stores before the faulting page landed; the page still works */
	jdax_g_copy_flushcache(map, page - 100, buf, 0, 300);
	CHECK(memcmp(map + page - 100, buf, 64) == 0, "bytes before the fault were not stored");
	CHECK(jdax_g_copy_flushcache(map, 0, buf, 0, page) == 0, "copy to a backed page after a fault");
	CHECK(memcmp(map, buf, page) == 0, "copy to a backed page after a fault: bytes");
	int wb = jdax_g_writeback(map, page, page);
	CHECK(wb == 0 || JDAX_FAULT_CODE(wb) == BUS_ADRERR, "writeback of a truncated page: code %d", wb);

	/* poison, without poisoned hardware: the granule comes back too */
	int rc = jdax_g_fault_simulate(buf, 5, BUS_MCEERR_AR, 12);
	CHECK(JDAX_FAULT_CODE(rc) == BUS_MCEERR_AR && JDAX_FAULT_LSB(rc) == 12 &&
	      jdax_fault_addr() == (uintptr_t)buf + 5, "simulated poison: code %d at %p", rc,
	      (void *)jdax_fault_addr());
	CHECK(jdax_fault_previous() == 0, "handler installed over the default: %d", jdax_fault_previous());

	/* a SIGBUS that is not ours takes its previous disposition: here, the default */
	pid_t child = fork();
	if (child == 0) {
		kill(getpid(), SIGBUS);
		_exit(0);
	}
	int status = 0;
	waitpid(child, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS, "a SIGBUS outside a guard was swallowed");
	child = fork();
	if (child == 0) {
		((volatile char *)map)[2 * page] = 1;   /* unguarded store to a lost page */
		_exit(0);
	}
	waitpid(child, &status, 0);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGBUS, "an unguarded fault was swallowed");

	munmap(map, 4 * page);
	close(fd);
}

/* ---- memset and memmove (both directions): byte-exact, and C4 ---- */

static unsigned char *mm_ref;

/* the lines the spy saw cached stores to, within [lo, hi), as flags per line of dst_buf */
static void spied_lines(uintptr_t lo, uintptr_t hi, unsigned char *set)
{
	uintptr_t base = (uintptr_t)dst_buf;
	for (size_t i = 0; i < nlog && i < MAX_LOG; i++) {
		uintptr_t a = logged[i].start < lo ? lo : logged[i].start;
		uintptr_t b = logged[i].end > hi ? hi : logged[i].end;
		if (a < b)
			add_lines(set, base, a, b);
	}
}

__attribute__((optimize("no-tree-loop-distribute-patterns")))
static void mm_one(int op, int flags, size_t da, long shift, size_t n)
{
	size_t total = 4 * GUARD + n + 256;
	unsigned char *d = dst_buf + 2 * GUARD + da;
	unsigned char *s2 = d + shift;
	uintptr_t lines[MAX_LINES];
	int c = (int)(da * 7 + n) & 0xff;

	fill = (unsigned char)(fill * 7 + 1);
	for (size_t i = 0; i < total; i++)
		dst_buf[i] = (unsigned char)(fill + i * 13);
	for (size_t i = 0; i < total; i++)
		mm_ref[i] = dst_buf[i];
	/* the reference, byte by byte */
	unsigned char *rd = mm_ref + (d - dst_buf), *rs = mm_ref + (s2 - dst_buf);
	if (op == 0) {
		for (size_t i = 0; i < n; i++)
			rd[i] = (unsigned char)c;
	} else if (rd < rs) {
		for (size_t i = 0; i < n; i++)
			rd[i] = rs[i];
	} else {
		for (size_t i = n; i > 0; i--)
			rd[i - 1] = rs[i - 1];
	}
	nlog = 0;
	spying = 1;
	size_t count = op == 0 ? jdax_memset_traced(d, c, n, flags, lines, MAX_LINES)
	                       : jdax_memmove_traced(d, s2, n, flags, lines, MAX_LINES);
	spying = 0;
	size_t bad = 0;
	for (size_t i = 0; i < total; i++)
		bad += dst_buf[i] != mm_ref[i];
	CHECK(!bad, "%s flags %d da=%zu shift=%ld n=%zu: %zu bytes differ from the reference",
	      op ? "memmove" : "memset", flags, da, shift, n, bad);

	if (flags & JDAX_MEM_NOFLUSH) {
		CHECK(count == 0, "%s NOFLUSH wrote back %zu lines", op ? "memmove" : "memset", count);
		return;
	}
	/* C4: written back = the lines of the destination that took cached stores, each once */
	size_t nlines = total / 64 + 2;
	memset(want, 0, nlines);
	spied_lines((uintptr_t)d, (uintptr_t)d + n, want);
	size_t nwant = 0, dup = 0, stray = 0;
	for (size_t i = 0; i < nlines; i++)
		nwant += want[i];
	uintptr_t base = (uintptr_t)dst_buf;
	for (size_t i = 0; i < count && i < MAX_LINES; i++) {
		size_t l = (lines[i] - base) / 64;
		if (lines[i] & 63 || lines[i] < base || l >= nlines || !want[l])
			stray++;
		else if (want[l] == 2)
			dup++;
		else
			want[l] = 2;
	}
	CHECK(count == nwant && !dup && !stray, "%s flags %d da=%zu shift=%ld n=%zu: %zu written back, %zu cached, "
	      "%zu dup, %zu stray", op ? "memmove" : "memset", flags, da, shift, n, count, nwant, dup, stray);
	if (!(flags & JDAX_MEM_TEMPORAL) && n >= (size_t)jdax_threshold())
		CHECK(count <= 2, "%s n=%zu non-temporal wrote back %zu lines", op ? "memmove" : "memset", n, count);
}

static void memops(void)
{
	static const long shifts[] = { -200, -67, -64, -13, -8, -1, 1, 8, 13, 64, 67, 200, 4096 };
	static const size_t bigs[] = { 4095, 4096, 4097, 65536 + 13 };
	static const int flagsets[] = { 0, JDAX_MEM_TEMPORAL, JDAX_MEM_NODRAIN, JDAX_MEM_NOFLUSH };
	mm_ref = malloc(MAXN + 8 * GUARD);
	for (size_t f = 0; f < sizeof flagsets / sizeof flagsets[0]; f++) {
		int flags = flagsets[f];
		for (size_t da = 0; da < 64; da++)
			for (size_t n = 0; n <= 300; n++) {
				mm_one(0, flags, da, 0, n);
				for (size_t i = 0; i < sizeof shifts / sizeof shifts[0]; i++)
					mm_one(1, flags, da, shifts[i], n);
			}
		for (size_t b = 0; b < sizeof bigs / sizeof bigs[0]; b++)
			for (size_t da = 0; da < 64; da += 7) {
				mm_one(0, flags, da, 0, bigs[b]);
				for (size_t i = 0; i < sizeof shifts / sizeof shifts[0]; i++)
					mm_one(1, flags, da, shifts[i], bigs[b]);
			}
	}
	free(mm_ref);
}

static int supported(int flush, int copy)
{
	return jdax_configure(flush, copy, -1, 0) == JDAX_OK;
}

int main(int argc, char **argv)
{
	long f = jdax_cpu_features();
	src_buf = aligned_alloc(64, MAXN + 128);
	dst_buf = aligned_alloc(64, MAXN + 2 * GUARD + 128);
	want = malloc(MAXN / 64 + 64);
	spied = malloc(MAXN / 64 + 64);
	srand(1);
	for (size_t i = 0; i < MAXN + 128; i++)
		src_buf[i] = (unsigned char)rand();

	if (argc > 1 && strcmp(argv[1], "memops") == 0) {
		src_buf = aligned_alloc(64, MAXN + 128);
		dst_buf = aligned_alloc(64, MAXN + 8 * GUARD + 128);
		want = malloc(MAXN / 64 + 256);
		spied = malloc(MAXN / 64 + 256);
		memops();
		printf("%ld passed, %ld failed\n", passed, failed);
		return failed != 0;
	}
	if (argc > 1 && strcmp(argv[1], "faults") == 0) {
		faults();
		printf("%ld passed, %ld failed\n", passed, failed);
		return failed != 0;
	}
	printf("features 0x%lx, defaults: flush %s, copy %s, threshold %ld, head align %d\n", f,
	       flush_name[jdax_flush_kind()], copy_name[jdax_copy_kind()], jdax_threshold(),
	       jdax_head_align());

	/* configure: refusals change nothing */
	CHECK(jdax_configure(4, 0, -1, 0) == JDAX_EINVAL, "flush kind 4 accepted");
	CHECK(jdax_configure(-1, 0, -1, 0) == JDAX_EINVAL, "flush kind -1 accepted");
	CHECK(jdax_configure(0, 5, -1, 0) == JDAX_EINVAL, "copy kind 5 accepted");
	CHECK(jdax_configure(0, 0, JDAX_MAX_THRESHOLD + 1, 0) == JDAX_EINVAL, "huge threshold accepted");
	CHECK(jdax_configure(0, 0, -1, 4) == JDAX_EINVAL, "head align 4 accepted");
	CHECK(jdax_configure(0, 0, -1, 24) == JDAX_EINVAL, "head align 24 accepted");
	CHECK(jdax_configure(0, 0, -1, 128) == JDAX_EINVAL, "head align 128 accepted");
	CHECK(supported(JDAX_AUTO, JDAX_COPY_AVX512) == !!(f & JDAX_F_AVX512F), "avx512 refusal");
	CHECK(supported(JDAX_AUTO, JDAX_COPY_AVX2) == !!(f & JDAX_F_AVX2), "avx2 refusal");
	CHECK(supported(JDAX_FLUSH_CLWB, JDAX_AUTO) == !!(f & JDAX_F_CLWB), "clwb refusal");
	CHECK(supported(JDAX_FLUSH_CLFLUSHOPT, JDAX_AUTO) == !!(f & JDAX_F_CLFLUSHOPT), "clflushopt refusal");
	CHECK(jdax_configure(JDAX_FLUSH_CLFLUSH, JDAX_COPY_SSE2, 128, 16) == JDAX_OK, "configure");
	CHECK(jdax_configure(JDAX_FLUSH_CLWB + 1, JDAX_COPY_MOVNTI, 0, 8) == JDAX_EINVAL, "bad flush");
	CHECK(jdax_flush_kind() == JDAX_FLUSH_CLFLUSH && jdax_copy_kind() == JDAX_COPY_SSE2 &&
	      jdax_threshold() == 128 && jdax_head_align() == 16, "refusal changed the configuration");
	CHECK(jdax_configure(0, 0, -1, 0) == JDAX_OK, "configure auto");
	CHECK(jdax_threshold() == JDAX_DEFAULT_THRESHOLD && jdax_head_align() == JDAX_DEFAULT_HEAD_ALIGN,
	      "defaults");
	CHECK(jdax_flush_kind() == (f & JDAX_F_CLWB ? 3 : f & JDAX_F_CLFLUSHOPT ? 2 : 1), "best flush");
	CHECK(jdax_copy_kind() == (f & JDAX_F_AVX512F ? 4 : f & JDAX_F_AVX2 ? 3 : 2), "best copy");
	if (!(f & JDAX_F_AVX512F))
		printf("note: no usable AVX-512 here: the avx512 loop is compiled and refused, not run\n");

	/* every copy loop, full alignment matrix, both head alignments, two thresholds */
	for (int copy = JDAX_COPY_MOVNTI; copy <= JDAX_COPY_AVX512; copy++) {
		if (!supported(JDAX_AUTO, copy))
			continue;
		for (int a = 1; a <= 64; a *= 8)
			for (long t = 0; t <= 128; t += 128) {
				jdax_configure(JDAX_AUTO, copy, t, a);
				printf("copy %s, flush %s, threshold %ld, head align %d\n", copy_name[copy],
				       flush_name[jdax_flush_kind()], t, a);
				fflush(stdout);
				matrix(1);
			}
	}
	/* every flush kind, and the other head alignments and thresholds, on the best loop */
	for (int flush = JDAX_FLUSH_CLFLUSH; flush <= JDAX_FLUSH_CLWB; flush++) {
		if (!supported(flush, JDAX_AUTO))
			continue;
		static const int as[] = { 8, 16, 32, 64, 1 };
		static const long ts[] = { 0, 64, 256, 4096 };
		for (int i = 0; i < 4; i++) {
			jdax_configure(flush, JDAX_AUTO, ts[i], as[(i + flush) % 5]);
			printf("copy %s, flush %s, threshold %ld, head align %d\n",
			       copy_name[jdax_copy_kind()], flush_name[flush], ts[i], jdax_head_align());
			fflush(stdout);
			matrix(0);
		}
	}
	/* write-back of odd ranges must not fault or touch bytes */
	jdax_configure(0, 0, -1, 0);
	memset(dst_buf, 7, 4096);
	for (size_t a = 0; a < 130; a++)
		for (size_t n = 0; n < 200; n += 3)
			jdax_writeback(dst_buf + GUARD + a, n);
	jdax_fence();
	size_t bad = 0;
	for (size_t i = 0; i < 4096; i++)
		bad += dst_buf[i] != 7;
	CHECK(!bad, "writeback changed %zu bytes", bad);

	faults();
	memops();
	printf("%ld passed, %ld failed\n", passed, failed);
	return failed != 0;
}
