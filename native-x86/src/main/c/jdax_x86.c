/*
 * jdax native-x86: x86-64 cache write-back, fences and non-temporal copies
 * for io.jdax.x86.X86Native (DESIGN.md C3, C4, C10).
 *
 * Built for any x86-64 (no -march): each routine that needs an extension
 * carries its own target attribute, and init() picks them by CPUID once.
 *
 * Two ways in from Java (io.jdax.x86, -Djdax.x86.call=ffm|jni):
 *  - FFM: the exported jdax_g_* functions (jdax_x86.h), which take a base
 *    and an offset so a MemorySegment is passed whole (and so kept alive for
 *    the call by the JDK);
 *  - JNI: class X86Native, raw addresses checked by the Java caller:
 *
 *   static native long cpuFeatures();
 *   static native int  configure(int flushKind, int copyKind, long threshold, int headAlign);
 *   static native int  flushKind();
 *   static native int  copyKind();
 *   static native long threshold();
 *   static native int  headAlign();
 *   static native int  copyNocache(long dst, long src, long n);
 *   static native int  copyFlushcache(long dst, long src, long n);
 *   static native int  copyMc(long dst, long src, long n);
 *   static native int  copyFlushcacheArray(long dst, byte[] src, int off, int len);
 *   static native int  copyMcToArray(long src, byte[] dst, int off, int len);
 *   static native int  copyFlushcacheTraced(long dst, long src, long n, long[] lines);
 *   static native int  writeback(long addr, long n);
 *   static native void fence();
 *   static native boolean membarrier();
 *   static native int  memset(long dst, long n, int c, int flags);
 *   static native int  memmove(long dst, long src, long n, int flags);
 *   static native long faultAddress();
 *   static native int  faultHandler();
 *   static native int  simulateFault(long addr, int code, int lsb);
 *
 * Every routine that touches memory runs guarded (jdax_fault.h) and returns
 * 0 or a fault code. Codes and bits are in jdax_x86.h. configure(): kind 0 =
 * best the CPU has, threshold in bytes (0..1 MiB, < 0 = default 0), headAlign
 * 8/16/32/64 or 1 = adaptive (0 = default, adaptive); returns 0, -22 (EINVAL)
 * or -95 (ENOTSUP, the CPU or OS cannot run that kind) and then changes
 * nothing. copyFlushcacheTraced fills lines[] with up to lines.length line
 * addresses and returns how many lines it wrote back (may exceed
 * lines.length); it is for tests and unguarded.
 */
#include <cpuid.h>
#include <immintrin.h>
#include <jni.h>
#include <linux/membarrier.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "jdax_fault.h"
#include "jdax_x86.h"

#define LINE_MASK ((uintptr_t)JDAX_LINE - 1)

/* ---- cache write-back: every line overlapping [start, end) ---- */

typedef void (*wb_fn)(uintptr_t start, uintptr_t end);

static void wb_clflush(uintptr_t start, uintptr_t end)
{
	for (uintptr_t p = start & ~LINE_MASK; p < end; p += JDAX_LINE)
		_mm_clflush((const void *)p);
}

__attribute__((target("clflushopt")))
static void wb_clflushopt(uintptr_t start, uintptr_t end)
{
	for (uintptr_t p = start & ~LINE_MASK; p < end; p += JDAX_LINE)
		_mm_clflushopt((void *)p);
}

__attribute__((target("clwb")))
static void wb_clwb(uintptr_t start, uintptr_t end)
{
	for (uintptr_t p = start & ~LINE_MASK; p < end; p += JDAX_LINE)
		_mm_clwb((void *)p);
}

/* ---- non-temporal copy loops ----
 * Each takes a destination aligned to 8 bytes (or n < 8), stores with movnti
 * up to the next line boundary, streams whole lines, then the 32/16/8/4-byte
 * pieces of the last line, and returns the 0..3 bytes it left for a cached
 * store. Sources may have any alignment. */

typedef size_t (*nt_fn)(char *d, const char *s, size_t n);

static inline __attribute__((always_inline)) void movnti8(char *d, const char *s)
{
	long long v;
	memcpy(&v, s, 8);
	_mm_stream_si64((long long *)d, v);
}

static inline __attribute__((always_inline)) void movnti4(char *d, const char *s)
{
	int v;
	memcpy(&v, s, 4);
	_mm_stream_si32((int *)d, v);
}

static inline __attribute__((always_inline)) void movntdq16(char *d, const char *s)
{
	_mm_stream_si128((__m128i *)d, _mm_loadu_si128((const __m128i *)s));
}

/* movnti up to the line boundary; afterwards d is line-aligned or n < 8 */
#define NT_TO_LINE(d, s, n) \
	for (; ((uintptr_t)(d) & LINE_MASK) && (n) >= 8; d += 8, s += 8, n -= 8) \
		movnti8(d, s)

/* the last partial line, d line-aligned (or n < 8): 32, 16, 8, 4 */
static inline __attribute__((always_inline)) size_t nt_tail16(char *d, const char *s, size_t n)
{
	if (n >= 32) {
		movntdq16(d, s);
		movntdq16(d + 16, s + 16);
		d += 32, s += 32, n -= 32;
	}
	if (n >= 16) {
		movntdq16(d, s);
		d += 16, s += 16, n -= 16;
	}
	if (n >= 8) {
		movnti8(d, s);
		d += 8, s += 8, n -= 8;
	}
	if (n >= 4) {
		movnti4(d, s);
		n -= 4;
	}
	return n;
}

static size_t nt_movnti(char *d, const char *s, size_t n)
{
	for (; n >= 8; d += 8, s += 8, n -= 8)
		movnti8(d, s);
	if (n >= 4) {
		movnti4(d, s);
		n -= 4;
	}
	return n;
}

static size_t nt_sse2(char *d, const char *s, size_t n)
{
	NT_TO_LINE(d, s, n);
	for (; n >= JDAX_LINE; d += JDAX_LINE, s += JDAX_LINE, n -= JDAX_LINE) {
		__m128i a = _mm_loadu_si128((const __m128i *)s);
		__m128i b = _mm_loadu_si128((const __m128i *)s + 1);
		__m128i c = _mm_loadu_si128((const __m128i *)s + 2);
		__m128i e = _mm_loadu_si128((const __m128i *)s + 3);
		_mm_stream_si128((__m128i *)d, a);
		_mm_stream_si128((__m128i *)d + 1, b);
		_mm_stream_si128((__m128i *)d + 2, c);
		_mm_stream_si128((__m128i *)d + 3, e);
	}
	return nt_tail16(d, s, n);
}

__attribute__((target("avx2")))
static size_t nt_avx2(char *d, const char *s, size_t n)
{
	NT_TO_LINE(d, s, n);
	for (; n >= 2 * JDAX_LINE; d += 2 * JDAX_LINE, s += 2 * JDAX_LINE, n -= 2 * JDAX_LINE) {
		__m256i a = _mm256_loadu_si256((const __m256i *)s);
		__m256i b = _mm256_loadu_si256((const __m256i *)s + 1);
		__m256i c = _mm256_loadu_si256((const __m256i *)s + 2);
		__m256i e = _mm256_loadu_si256((const __m256i *)s + 3);
		_mm256_stream_si256((__m256i *)d, a);
		_mm256_stream_si256((__m256i *)d + 1, b);
		_mm256_stream_si256((__m256i *)d + 2, c);
		_mm256_stream_si256((__m256i *)d + 3, e);
	}
	if (n >= JDAX_LINE) {
		__m256i a = _mm256_loadu_si256((const __m256i *)s);
		__m256i b = _mm256_loadu_si256((const __m256i *)s + 1);
		_mm256_stream_si256((__m256i *)d, a);
		_mm256_stream_si256((__m256i *)d + 1, b);
		d += JDAX_LINE, s += JDAX_LINE, n -= JDAX_LINE;
	}
	return nt_tail16(d, s, n);
}

__attribute__((target("avx512f")))
static size_t nt_avx512(char *d, const char *s, size_t n)
{
	NT_TO_LINE(d, s, n);
	for (; n >= 4 * JDAX_LINE; d += 4 * JDAX_LINE, s += 4 * JDAX_LINE, n -= 4 * JDAX_LINE) {
		__m512i a = _mm512_loadu_si512(s);
		__m512i b = _mm512_loadu_si512(s + JDAX_LINE);
		__m512i c = _mm512_loadu_si512(s + 2 * JDAX_LINE);
		__m512i e = _mm512_loadu_si512(s + 3 * JDAX_LINE);
		_mm512_stream_si512((__m512i *)d, a);
		_mm512_stream_si512((__m512i *)d + 1, b);
		_mm512_stream_si512((__m512i *)d + 2, c);
		_mm512_stream_si512((__m512i *)d + 3, e);
	}
	for (; n >= JDAX_LINE; d += JDAX_LINE, s += JDAX_LINE, n -= JDAX_LINE)
		_mm512_stream_si512((__m512i *)d, _mm512_loadu_si512(s));
	return nt_tail16(d, s, n);
}

/* ---- CPU features and the one place that dispatches ---- */

static long features;

static const wb_fn wb_fns[] = { 0, wb_clflush, wb_clflushopt, wb_clwb };
static const long wb_need[] = { 0, JDAX_F_CLFLUSH, JDAX_F_CLFLUSHOPT, JDAX_F_CLWB };
static const nt_fn nt_fns[] = { 0, nt_movnti, nt_sse2, nt_avx2, nt_avx512 };
static const long nt_need[] = { 0, JDAX_F_SSE2, JDAX_F_SSE2, JDAX_F_AVX2, JDAX_F_AVX512F };

/*
 * The configuration is one word, so a copy running beside configure() sees
 * either the old or the new one whole:
 * bits 0-1 flush kind, 2-4 copy kind, 5-11 head alignment, 12-63 threshold.
 */
static uint64_t config;

static uint64_t pack(int flush, int copy, long threshold, int head_align)
{
	return (uint64_t)flush | (uint64_t)copy << 2 | (uint64_t)head_align << 5 |
	       (uint64_t)threshold << 12;
}

#define CFG_FLUSH(c)     ((int)((c) & 3))
#define CFG_COPY(c)      ((int)((c) >> 2 & 7))
#define CFG_HEAD(c)      ((size_t)((c) >> 5 & 127))
#define CFG_THRESHOLD(c) ((size_t)((c) >> 12))

static uint64_t xcr0(void)
{
	uint32_t lo, hi;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (uint64_t)hi << 32 | lo;
}

static long probe(void)
{
	unsigned a, b, c, d;
	long f = 0;
	uint64_t os = 0;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return f;
	if (d & bit_SSE2)
		f |= JDAX_F_SSE2;
	if (d & (1u << 19))       /* CLFSH: cpuid.h has no name for it */
		f |= JDAX_F_CLFLUSH;
	/* vector state the OS saves on context switch: without it no AVX */
	if ((c & bit_OSXSAVE) && (c & bit_AVX))
		os = xcr0();
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return f;
	if (b & bit_CLFLUSHOPT)
		f |= JDAX_F_CLFLUSHOPT;
	if (b & bit_CLWB)
		f |= JDAX_F_CLWB;
	if (b & bit_AVX2) {
		f |= JDAX_F_AVX2_CPU;
		if ((os & 0x6) == 0x6)          /* XMM, YMM */
			f |= JDAX_F_AVX2;
	}
	if (b & bit_AVX512F) {
		f |= JDAX_F_AVX512F_CPU;
		if ((os & 0xe6) == 0xe6)        /* XMM, YMM, opmask, ZMM 0-15 high, ZMM 16-31 */
			f |= JDAX_F_AVX512F;
	}
	return f;
}

static int best(const long *need, int top)
{
	while (top > 1 && (features & need[top]) != need[top])
		top--;
	return top;
}

/* ---- the process-wide barrier (membarrier(2)) for device read sides ---- */

static int membarrier_ok;

static void membarrier_init(void)
{
	long cmds = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	if (cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
	    syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0)
		membarrier_ok = 1;
}

int jdax_membarrier(void)
{
	return membarrier_ok && syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0) == 0;
}

__attribute__((constructor))
static void init(void)
{
	features = probe();
	jdax_fault_init();
	membarrier_init();
	__atomic_store_n(&config, pack(best(wb_need, JDAX_FLUSH_CLWB),
	                               best(nt_need, JDAX_COPY_AVX512),
	                               JDAX_DEFAULT_THRESHOLD, JDAX_DEFAULT_HEAD_ALIGN),
	                 __ATOMIC_RELAXED);
}

long jdax_cpu_features(void)
{
	return features;
}

int jdax_configure(int flush_kind, int copy_kind, long threshold, int head_align)
{
	if (flush_kind == JDAX_AUTO)
		flush_kind = best(wb_need, JDAX_FLUSH_CLWB);
	if (copy_kind == JDAX_AUTO)
		copy_kind = best(nt_need, JDAX_COPY_AVX512);
	if (threshold < 0)
		threshold = JDAX_DEFAULT_THRESHOLD;
	if (head_align == 0)
		head_align = JDAX_DEFAULT_HEAD_ALIGN;
	if (flush_kind < JDAX_FLUSH_CLFLUSH || flush_kind > JDAX_FLUSH_CLWB ||
	    copy_kind < JDAX_COPY_MOVNTI || copy_kind > JDAX_COPY_AVX512 ||
	    threshold > JDAX_MAX_THRESHOLD ||
	    /* 8 keeps movnti aligned; above 64 the head would span lines */
	    (head_align != JDAX_HEAD_ADAPTIVE &&
	     (head_align < 8 || head_align > JDAX_LINE || (head_align & (head_align - 1)))))
		return JDAX_EINVAL;
	if ((features & wb_need[flush_kind]) != wb_need[flush_kind] ||
	    (features & nt_need[copy_kind]) != nt_need[copy_kind])
		return JDAX_ENOTSUP;
	__atomic_store_n(&config, pack(flush_kind, copy_kind, threshold, head_align),
	                 __ATOMIC_RELAXED);
	return JDAX_OK;
}

int jdax_flush_kind(void)
{
	return CFG_FLUSH(__atomic_load_n(&config, __ATOMIC_RELAXED));
}

int jdax_copy_kind(void)
{
	return CFG_COPY(__atomic_load_n(&config, __ATOMIC_RELAXED));
}

long jdax_threshold(void)
{
	return (long)CFG_THRESHOLD(__atomic_load_n(&config, __ATOMIC_RELAXED));
}

int jdax_head_align(void)
{
	return (int)CFG_HEAD(__atomic_load_n(&config, __ATOMIC_RELAXED));
}

/* ---- the copy (C4) ---- */

/* Where write-backs go: to the CPU, and in the traced build also to a list. */
struct wb_sink {
	wb_fn wb;
	uintptr_t *lines;
	size_t cap;
	size_t count;
};

static inline __attribute__((always_inline))
void sink_wb(struct wb_sink *k, int traced, uintptr_t start, uintptr_t end)
{
	k->wb(start, end);
	if (traced)
		for (uintptr_t p = start & ~LINE_MASK; p < end; p += JDAX_LINE, k->count++)
			if (k->count < k->cap)
				k->lines[k->count] = p;
}

/*
 * The one copy algorithm. Below the threshold: cached copy, write back every
 * line it touched. Otherwise: a cached head up to the head alignment, the rest
 * non-temporal, except the last partial line when it would end in 1..3 bytes
 * (cached). Then the lines that got cached stores, and only those, are
 * written back (C4): at most the head line and the tail line, once each. The write-backs come after all the stores, so
 * a line holding both kinds of store is pushed out whatever the CPU does with
 * a non-temporal store that hits a cached line.
 *
 * k == NULL (copy_nocache): the same stores, no write-back, no threshold.
 */
static inline __attribute__((always_inline))
void copy_as(char *d, const char *s, size_t n, uint64_t cfg, struct wb_sink *k, int traced, int mv)
{
	if (k && n < CFG_THRESHOLD(cfg)) {
		if (mv)
			memmove(d, s, n);
		else
			memcpy(d, s, n);
		if (n)
			sink_wb(k, traced, (uintptr_t)d, (uintptr_t)d + n);
		return;
	}
	size_t a = CFG_HEAD(cfg);
	/* adaptive: cached to the line end only when the head line takes a
	 * cached store (and so a write-back) anyway */
	if (a == JDAX_HEAD_ADAPTIVE)
		a = (uintptr_t)d & 7 ? JDAX_LINE : 8;
	size_t head = -(uintptr_t)d & (a - 1);
	if (head > n)
		head = n;
	/* 1..3 bytes would be left for a cached store: then the whole last
	 * partial line is stored cached, as a line that takes both kinds of
	 * store costs ~200 ns more here (NATIVE-NOTES.md) */
	size_t rest = n - head, tail = 0;
	if (rest & 3) {
		tail = ((uintptr_t)d + n) & LINE_MASK;
		if (tail > rest)
			tail = rest;
	}
	if (mv)
		memmove(d, s, head);
	else
		memcpy(d, s, head);
	tail += nt_fns[CFG_COPY(cfg)](d + head, s + head, rest - tail);
	if (mv)
		memmove(d + n - tail, s + n - tail, tail);
	else
		memcpy(d + n - tail, s + n - tail, tail);
	if (!k)
		return;
	if (head)
		sink_wb(k, traced, (uintptr_t)d, (uintptr_t)d + head);
	if (tail) {
		uintptr_t t = (uintptr_t)d + n - tail;
		/* a short copy: the head line's write-back covered the tail */
		if (head && (t & ~LINE_MASK) == ((uintptr_t)d & ~LINE_MASK))
			return;
		sink_wb(k, traced, t, (uintptr_t)d + n);
	}
}

static inline __attribute__((always_inline))
void copy(char *d, const char *s, size_t n, uint64_t cfg, struct wb_sink *k, int traced)
{
	copy_as(d, s, n, cfg, k, traced, 0);
}

/*
 * memmove with the copy's stores. A destination below its source, or apart
 * from it, is copied forward by copy_as (each block is loaded before it is
 * stored, and the cached pieces use memmove). A destination above an
 * overlapping source is copied backward: the partial last line (cached), the
 * whole lines from the last to the first (non-temporal, each loaded before it
 * is stored), the partial first line (cached); so no source byte is stored
 * over before it is read. The lines with cached stores are written back, and
 * only those (C4).
 */
static inline __attribute__((always_inline))
void move(char *d, const char *s, size_t n, uint64_t cfg, struct wb_sink *k, int traced)
{
	if (d <= s || d >= s + n) {
		copy_as(d, s, n, cfg, k, traced, 1);
		return;
	}
	if (k && n < CFG_THRESHOLD(cfg)) {
		memmove(d, s, n);
		sink_wb(k, traced, (uintptr_t)d, (uintptr_t)d + n);
		return;
	}
	size_t head = -(uintptr_t)d & LINE_MASK;
	if (head > n)
		head = n;
	size_t tail = ((uintptr_t)d + n) & LINE_MASK;
	if (tail > n - head)
		tail = n - head;
	memmove(d + n - tail, s + n - tail, tail);
	for (size_t off = n - tail; off > head; off -= JDAX_LINE)
		nt_fns[CFG_COPY(cfg)](d + off - JDAX_LINE, s + off - JDAX_LINE, JDAX_LINE);
	memmove(d, s, head);
	if (!k)
		return;
	if (head)
		sink_wb(k, traced, (uintptr_t)d, (uintptr_t)d + head);
	if (tail) {
		uintptr_t t = (uintptr_t)d + n - tail;
		if (head && (t & ~LINE_MASK) == ((uintptr_t)d & ~LINE_MASK))
			return;
		sink_wb(k, traced, t, (uintptr_t)d + n);
	}
}

/* The bytes a memset streams from: the copy's loops read any source. */
#define SET_CHUNK 4096

/*
 * memset with the copy's stores: the value is laid out in a stack buffer and
 * copied in chunks that end on destination lines (so the chunks store and
 * write back exactly the lines one copy would: C4 as proved for the copy).
 */
static inline __attribute__((always_inline))
void set(char *d, int c, size_t n, uint64_t cfg, struct wb_sink *k, int traced)
{
	char pat[SET_CHUNK] __attribute__((aligned(64)));
	memset(pat, c, n < SET_CHUNK ? n : SET_CHUNK);
	for (size_t done = 0, len; done < n; done += len) {
		len = SET_CHUNK - ((uintptr_t)(d + done) & LINE_MASK);
		if (len > n - done)
			len = n - done;
		copy(d + done, pat, len, cfg, k, traced);
	}
}

__attribute__((noinline)) void jdax_copy_nocache(void *dst, const void *src, size_t n)
{
	copy(dst, src, n, __atomic_load_n(&config, __ATOMIC_RELAXED), NULL, 0);
}

__attribute__((noinline)) void jdax_copy_flushcache(void *dst, const void *src, size_t n)
{
	uint64_t cfg = __atomic_load_n(&config, __ATOMIC_RELAXED);
	struct wb_sink k = { wb_fns[CFG_FLUSH(cfg)], NULL, 0, 0 };
	copy(dst, src, n, cfg, &k, 0);
}

/* copy_flushcache that also lists the lines it wrote back (up to cap of them);
 * returns how many it wrote back. For tests of C4. */
size_t jdax_copy_flushcache_traced(void *dst, const void *src, size_t n,
                                   uintptr_t *lines, size_t cap)
{
	uint64_t cfg = __atomic_load_n(&config, __ATOMIC_RELAXED);
	struct wb_sink k = { wb_fns[CFG_FLUSH(cfg)], lines, lines ? cap : 0, 0 };
	copy(dst, src, n, cfg, &k, 1);
	return k.count;
}

void jdax_writeback(const void *addr, size_t n)
{
	if (n)
		wb_fns[jdax_flush_kind()]((uintptr_t)addr, (uintptr_t)addr + n);
}

void jdax_fence(void)
{
	_mm_sfence();
}

/* ---- the guarded entry points (C8): a fault is a return code, not a signal ---- */

/* The copies stay out of line: inlined into a function that sets a jump
 * point, the copy loses registers to it and costs ~5 ns more at 64 B (measured,
 * NATIVE-NOTES.md "The guard's cost"). */
int jdax_g_copy_nocache(void *dst, size_t doff, const void *src, size_t soff, size_t n)
{
	struct jdax_guard g;
	char *d = (char *)dst + doff;
	const char *s = (const char *)src + soff;

	JDAX_GUARD(g, d, n, s, n);
	jdax_copy_nocache(d, s, n);
	JDAX_UNGUARD();
	return 0;
}

int jdax_g_copy_flushcache(void *dst, size_t doff, const void *src, size_t soff, size_t n)
{
	struct jdax_guard g;
	char *d = (char *)dst + doff;
	const char *s = (const char *)src + soff;

	JDAX_GUARD(g, d, n, s, n);
	jdax_copy_flushcache(d, s, n);
	JDAX_UNGUARD();
	return 0;
}

int jdax_g_copy_mc(void *dst, size_t doff, const void *src, size_t soff, size_t n)
{
	struct jdax_guard g;
	char *d = (char *)dst + doff;
	const char *s = (const char *)src + soff;

	JDAX_GUARD(g, d, n, s, n);
	memcpy(d, s, n);
	JDAX_UNGUARD();
	return 0;
}

int jdax_g_writeback(const void *addr, size_t off, size_t n)
{
	struct jdax_guard g;
	const char *a = (const char *)addr + off;

	JDAX_GUARD(g, a, n, NULL, 0);
	jdax_writeback(a, n);
	JDAX_UNGUARD();
	return 0;
}

/* libpmem2's flag semantics: durable on return unless NOFLUSH (stores only)
 * or NODRAIN (no fence); TEMPORAL/WB ask for cached stores + write-back of
 * every line, else non-temporal where the copy's rule allows. */
static inline int temporal(int flags)
{
	return (flags & (JDAX_MEM_TEMPORAL | JDAX_MEM_WB)) &&
	       !(flags & (JDAX_MEM_NONTEMPORAL | JDAX_MEM_WC));
}

static inline __attribute__((always_inline))
void memset_as(char *d, int c, size_t n, int flags, uintptr_t *lines, size_t cap, size_t *count, int traced)
{
	uint64_t cfg = __atomic_load_n(&config, __ATOMIC_RELAXED);
	struct wb_sink k = { wb_fns[CFG_FLUSH(cfg)], lines, lines ? cap : 0, 0 };
	int flush = !(flags & JDAX_MEM_NOFLUSH);
	if (temporal(flags)) {
		memset(d, c, n);
		if (flush && n)
			sink_wb(&k, traced, (uintptr_t)d, (uintptr_t)d + n);
	} else {
		set(d, c, n, cfg, flush ? &k : NULL, traced);
	}
	if (count)
		*count = k.count;
}

static inline __attribute__((always_inline))
void memmove_as(char *d, const char *s, size_t n, int flags, uintptr_t *lines, size_t cap, size_t *count,
                int traced)
{
	uint64_t cfg = __atomic_load_n(&config, __ATOMIC_RELAXED);
	struct wb_sink k = { wb_fns[CFG_FLUSH(cfg)], lines, lines ? cap : 0, 0 };
	int flush = !(flags & JDAX_MEM_NOFLUSH);
	if (temporal(flags)) {
		memmove(d, s, n);
		if (flush && n)
			sink_wb(&k, traced, (uintptr_t)d, (uintptr_t)d + n);
	} else {
		move(d, s, n, cfg, flush ? &k : NULL, traced);
	}
	if (count)
		*count = k.count;
}

__attribute__((noinline)) static void memset_plain(char *d, int c, size_t n, int flags)
{
	memset_as(d, c, n, flags, NULL, 0, NULL, 0);
}

__attribute__((noinline)) static void memmove_plain(char *d, const char *s, size_t n, int flags)
{
	memmove_as(d, s, n, flags, NULL, 0, NULL, 0);
}

int jdax_g_memset(void *dst, size_t off, size_t n, int c, int flags)
{
	struct jdax_guard g;
	char *d = (char *)dst + off;

	JDAX_GUARD(g, d, n, NULL, 0);
	memset_plain(d, c, n, flags);
	JDAX_UNGUARD();
	if (!(flags & (JDAX_MEM_NODRAIN | JDAX_MEM_NOFLUSH)))
		_mm_sfence();
	return 0;
}

int jdax_g_memmove(void *dst, size_t doff, const void *src, size_t soff, size_t n, int flags)
{
	struct jdax_guard g;
	char *d = (char *)dst + doff;
	const char *s = (const char *)src + soff;

	JDAX_GUARD(g, d, n, s, n);
	memmove_plain(d, s, n, flags);
	JDAX_UNGUARD();
	if (!(flags & (JDAX_MEM_NODRAIN | JDAX_MEM_NOFLUSH)))
		_mm_sfence();
	return 0;
}

size_t jdax_memset_traced(void *dst, int c, size_t n, int flags, uintptr_t *lines, size_t cap)
{
	size_t count;
	memset_as(dst, c, n, flags, lines, cap, &count, 1);
	return count;
}

size_t jdax_memmove_traced(void *dst, const void *src, size_t n, int flags, uintptr_t *lines, size_t cap)
{
	size_t count;
	memmove_as(dst, src, n, flags, lines, cap, &count, 1);
	return count;
}

uintptr_t jdax_g_fault_addr(void)
{
	return jdax_fault_addr();
}

int jdax_g_fault_simulate(void *addr, size_t off, int code, int lsb)
{
	return jdax_fault_simulate((char *)addr + off, code, lsb);
}

/* ---- JNI: io.jdax.x86.X86Native ---- */

#define PTR(x) ((void *)(uintptr_t)(x))

JNIEXPORT jlong JNICALL Java_io_jdax_x86_X86Native_cpuFeatures(JNIEnv *env, jclass cls)
{
	(void)env, (void)cls;
	return jdax_cpu_features();
}

JNIEXPORT jint JNICALL Java_io_jdax_x86_X86Native_configure(JNIEnv *env, jclass cls,
		jint flushKind, jint copyKind, jlong threshold, jint headAlign)
{
	(void)env, (void)cls;
	return jdax_configure(flushKind, copyKind, threshold, headAlign);
}

JNIEXPORT jint JNICALL Java_io_jdax_x86_X86Native_flushKind(JNIEnv *env, jclass cls)
{
	(void)env, (void)cls;
	return jdax_flush_kind();
}

JNIEXPORT jint JNICALL Java_io_jdax_x86_X86Native_copyKind(JNIEnv *env, jclass cls)
{
	(void)env, (void)cls;
	return jdax_copy_kind();
}

JNIEXPORT jlong JNICALL Java_io_jdax_x86_X86Native_threshold(JNIEnv *env, jclass cls)
{
	(void)env, (void)cls;
	return jdax_threshold();
}

JNIEXPORT jint JNICALL Java_io_jdax_x86_X86Native_headAlign(JNIEnv *env, jclass cls)
{
	(void)env, (void)cls;
	return jdax_head_align();
}

JNIEXPORT jint JNICALL Java_io_jdax_x86_X86Native_copyNocache(JNIEnv *env, jclass cls,
		jlong dst, jlong src, jlong n)
{
	(void)env, (void)cls;
	return jdax_g_copy_nocache(PTR(dst), 0, PTR(src), 0, (size_t)n);
}

JNIEXPORT jint JNICALL Java_io_jdax_x86_X86Native_copyFlushcache(JNIEnv *env, jclass cls,
		jlong dst, jlong src, jlong n)
{
	(void)env, (void)cls;
	return jdax_g_copy_flushcache(PTR(dst), 0, PTR(src), 0, (size_t)n);
}

JNIEXPORT jint JNICALL Java_io_jdax_x86_X86Native_copyMc(JNIEnv *env, jclass cls,
		jlong dst, jlong src, jlong n)
{
	(void)env, (void)cls;
	return jdax_g_copy_mc(PTR(dst), 0, PTR(src), 0, (size_t)n);
}

JNIEXPORT jint JNICALL Java_io_jdax_x86_X86Native_copyFlushcacheArray(JNIEnv *env, jclass cls,
		jlong dst, jbyteArray src, jint off, jint len)
{
	(void)cls;
	/* pinned, not copied (the GC waits: Java hands over one chunk at a
	 * time): a heap source gets the same non-temporal copy as a native one */
	char *a = (*env)->GetPrimitiveArrayCritical(env, src, NULL);
	if (!a)
		return 0;               /* OutOfMemoryError pending */
	int rc = jdax_g_copy_flushcache(PTR(dst), 0, a, (size_t)off, (size_t)len);
	(*env)->ReleasePrimitiveArrayCritical(env, src, a, JNI_ABORT);
	return rc;
}

JNIEXPORT jint JNICALL Java_io_jdax_x86_X86Native_copyMcToArray(JNIEnv *env, jclass cls,
		jlong src, jbyteArray dst, jint off, jint len)
{
	(void)cls;
	char *a = (*env)->GetPrimitiveArrayCritical(env, dst, NULL);
	if (!a)
		return 0;               /* OutOfMemoryError pending */
	int rc = jdax_g_copy_mc(a, (size_t)off, PTR(src), 0, (size_t)len);
	(*env)->ReleasePrimitiveArrayCritical(env, dst, a, 0);
	return rc;
}

JNIEXPORT jint JNICALL Java_io_jdax_x86_X86Native_copyFlushcacheTraced(JNIEnv *env, jclass cls,
		jlong dst, jlong src, jlong n, jlongArray lines)
{
	(void)cls;
	jsize cap = lines ? (*env)->GetArrayLength(env, lines) : 0;
	jlong *l = cap ? (*env)->GetPrimitiveArrayCritical(env, lines, NULL) : NULL;
	if (cap && !l)
		return 0;               /* OutOfMemoryError pending */
	size_t count = jdax_copy_flushcache_traced(PTR(dst), PTR(src), (size_t)n,
	                                           (uintptr_t *)l, (size_t)cap);
	if (l)
		(*env)->ReleasePrimitiveArrayCritical(env, lines, l, 0);
	return (jint)count;
}

JNIEXPORT jint JNICALL Java_io_jdax_x86_X86Native_writeback(JNIEnv *env, jclass cls,
		jlong addr, jlong n)
{
	(void)env, (void)cls;
	return jdax_g_writeback(PTR(addr), 0, (size_t)n);
}

JNIEXPORT jint JNICALL Java_io_jdax_x86_X86Native_memset(JNIEnv *env, jclass cls,
		jlong dst, jlong n, jint c, jint flags)
{
	(void)env, (void)cls;
	return jdax_g_memset(PTR(dst), 0, (size_t)n, c, flags);
}

JNIEXPORT jint JNICALL Java_io_jdax_x86_X86Native_memmove(JNIEnv *env, jclass cls,
		jlong dst, jlong src, jlong n, jint flags)
{
	(void)env, (void)cls;
	return jdax_g_memmove(PTR(dst), 0, PTR(src), 0, (size_t)n, flags);
}

JNIEXPORT jboolean JNICALL Java_io_jdax_x86_X86Native_membarrier(JNIEnv *env, jclass cls)
{
	(void)env, (void)cls;
	return (jboolean)jdax_membarrier();
}

JNIEXPORT jlong JNICALL Java_io_jdax_x86_X86Native_faultAddress(JNIEnv *env, jclass cls)
{
	(void)env, (void)cls;
	return (jlong)jdax_fault_addr();
}

JNIEXPORT jint JNICALL Java_io_jdax_x86_X86Native_faultHandler(JNIEnv *env, jclass cls)
{
	(void)env, (void)cls;
	return jdax_fault_previous();
}

JNIEXPORT jint JNICALL Java_io_jdax_x86_X86Native_simulateFault(JNIEnv *env, jclass cls,
		jlong addr, jint code, jint lsb)
{
	(void)env, (void)cls;
	return jdax_fault_simulate(PTR(addr), code, lsb);
}

JNIEXPORT void JNICALL Java_io_jdax_x86_X86Native_fence(JNIEnv *env, jclass cls)
{
	(void)env, (void)cls;
	jdax_fence();
}
