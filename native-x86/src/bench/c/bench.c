/*
 * Throughput of jdax_x86.c against its baselines, in the shape of the anchor
 * figures in NOTES.md: destination walking forward through a 1 GiB file in
 * /dev/shm mapped MAP_SHARED (cold lines, wrapping at the end), warm source,
 * one thread; each cell the median of REPS samples of SECS seconds.
 *
 *   bench [-d SECS] [-r REPS] [-o DST_OFFSET] [-z SIZE,SIZE,...] [-f FILE] [-q CPUS] ROW...
 *
 * ROW:
 *   fc:T:A[:COPY]  copy_flushcache + sfence, threshold T, head alignment A
 *   gfc            the guarded entry point Java calls (jdax_g_copy_flushcache: the
 *                  SIGBUS guard around the same copy) + sfence, default settings
 *   nt[:COPY]      copy_nocache + sfence: the non-temporal store ceiling
 *   seed[:COPY]    copy_nocache + write-back of every line + sfence (the seed's regression)
 *   cached         memcpy + write-back of every line + sfence
 *   mf             memcpy + sfence: cached stores made durable by the fence alone, which is
 *                  what an eADR platform needs (nt is the non-temporal way there)
 *   memcpy         plain memcpy, no durability
 *   pmem           libpmem pmem_memcpy_persist (run with PMEM_IS_PMEM_FORCE=1)
 * COPY: movnti, sse2, avx2, avx512 (default: the best the CPU has).
 *
 * Cells print as "GB/s (ns per op)". Samples of all rows and sizes are
 * interleaved, so a drift of the machine spreads over every row alike. The
 * machine is shared (2 vCPUs): each sample waits for a quiet quarter second,
 * and a sample during which anything else used more than a tenth of a CPU
 * (-q; from /proc/stat) is thrown away and taken again, up to 50 times; a cell
 * with a sample kept anyway is marked '*'. Progress goes to stderr.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "jdax_x86.h"
#ifdef HAVE_LIBPMEM
#include <libpmem.h>
#endif

#define FILE_SIZE (1UL << 30)
#define MAX_ROWS 32
#define MAX_SIZES 16
#define MAX_REPS 15

typedef void (*op_fn)(void *d, const void *s, size_t n);

static void op_fc(void *d, const void *s, size_t n)
{
	jdax_copy_flushcache(d, s, n);
	jdax_fence();
}

static void op_gfc(void *d, const void *s, size_t n)
{
	jdax_g_copy_flushcache(d, 0, s, 0, n);
	jdax_fence();
}

static void op_nt(void *d, const void *s, size_t n)
{
	jdax_copy_nocache(d, s, n);
	jdax_fence();
}

static void op_seed(void *d, const void *s, size_t n)
{
	jdax_copy_nocache(d, s, n);
	jdax_writeback(d, n);
	jdax_fence();
}

static void op_cached(void *d, const void *s, size_t n)
{
	memcpy(d, s, n);
	jdax_writeback(d, n);
	jdax_fence();
}

static void op_mf(void *d, const void *s, size_t n)
{
	memcpy(d, s, n);
	jdax_fence();
}

static void op_memcpy(void *d, const void *s, size_t n)
{
	memcpy(d, s, n);
}

#ifdef HAVE_LIBPMEM
static void op_pmem(void *d, const void *s, size_t n)
{
	pmem_memcpy_persist(d, s, n);
}
#endif

struct row {
	const char *name;
	op_fn op;
	int copy;
	long threshold;
	int head_align;
	double ns[MAX_SIZES][MAX_REPS];
};

static int copy_code(const char *s)
{
	static const char *names[] = { "", "movnti", "sse2", "avx2", "avx512" };
	for (int i = 1; i <= 4; i++)
		if (!strcmp(s, names[i]))
			return i;
	fprintf(stderr, "unknown copy kind %s\n", s);
	exit(2);
}

static void parse(struct row *r, char *spec)
{
	r->name = strdup(spec);
	r->copy = JDAX_AUTO;
	r->threshold = -1;
	r->head_align = 0;
	char *kind = strtok(spec, ":"), *a1 = strtok(NULL, ":"), *a2 = strtok(NULL, ":"),
	     *a3 = strtok(NULL, ":");
	if (!strcmp(kind, "fc") && a1 && a2) {
		r->op = op_fc;
		r->threshold = atol(a1);
		r->head_align = atoi(a2);
		if (a3)
			r->copy = copy_code(a3);
	} else if (!strcmp(kind, "gfc")) {
		r->op = op_gfc;
	} else if (!strcmp(kind, "nt") || !strcmp(kind, "seed")) {
		r->op = kind[0] == 'n' ? op_nt : op_seed;
		if (a1)
			r->copy = copy_code(a1);
	} else if (!strcmp(kind, "cached")) {
		r->op = op_cached;
	} else if (!strcmp(kind, "mf")) {
		r->op = op_mf;
	} else if (!strcmp(kind, "memcpy")) {
		r->op = op_memcpy;
#ifdef HAVE_LIBPMEM
	} else if (!strcmp(kind, "pmem")) {
		r->op = op_pmem;
#endif
	} else {
		fprintf(stderr, "unknown row %s\n", r->name);
		exit(2);
	}
	if (jdax_configure(JDAX_AUTO, r->copy, r->threshold, r->head_align)) {
		fprintf(stderr, "row %s: this CPU cannot run it\n", r->name);
		exit(2);
	}
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec * 1e-9;
}

static char *file;
static size_t pos, offset;

/* one sample: ns per op, over about secs seconds */
static double sample(op_fn op, const char *src, size_t n, double secs)
{
	/* each op starts on a fresh line: never one the previous op wrote */
	size_t stride = ((n + offset + 63) & ~(size_t)63);
	size_t batch = n >= 65536 ? 1 : 65536 / n;
	long ops = 0;
	double t0 = now(), t;
	do {
		for (size_t i = 0; i < batch; i++) {
			if (pos + stride > FILE_SIZE)
				pos = 0;
			op(file + pos + offset, src, n);
			pos += stride;
		}
		ops += batch;
	} while ((t = now()) - t0 < secs);
	return (t - t0) * 1e9 / ops;
}

/* CPUs busy and total jiffies so far, from /proc/stat */
static void cpu_times(double *busy, double *total)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	if (!f || fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
	                 &v[3], &v[4], &v[5], &v[6], &v[7]) != 8) {
		*busy = *total = 0;
	} else {
		*total = 0;
		for (int i = 0; i < 8; i++)
			*total += v[i];
		*busy = *total - v[3] - v[4];
	}
	if (f)
		fclose(f);
}

static int ncpu;
static double quiet = 0.1;      /* CPUs others may use during a sample */
static int noisy;

/* a sample taken while the rest of the machine was (nearly) idle */
static double quiet_sample(op_fn op, const char *src, size_t n, double secs)
{
	double ns = 0;
	for (int tries = 0; tries < 50; tries++) {
		double b0, t0, b1, t1;
		/* wait (asleep) for a quarter second in which the machine was idle */
		for (int waits = 0; waits < 2400; waits++) {
			cpu_times(&b0, &t0);
			usleep(250000);
			cpu_times(&b1, &t1);
			if (t1 <= t0 || (b1 - b0) / (t1 - t0) * ncpu < quiet)
				break;
		}
		cpu_times(&b0, &t0);
		ns = sample(op, src, n, secs);
		cpu_times(&b1, &t1);
		/* CPUs in use during the sample, less the one this loop used */
		double others = t1 > t0 ? (b1 - b0) / (t1 - t0) * ncpu - 1 : 0;
		if (others < quiet)
			return ns;
	}
	noisy = 1;
	return -ns;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	double secs = 1;
	int reps = 5;
	const char *path = "/dev/shm/jdax-bench";
	size_t sizes[MAX_SIZES] = { 64, 256, 1024, 4096, 65536, 1 << 20, 16 << 20 };
	int nsizes = 7, c;

	while ((c = getopt(argc, argv, "d:r:o:z:f:q:")) != -1) {
		switch (c) {
		case 'd': secs = atof(optarg); break;
		case 'r': reps = atoi(optarg); break;
		case 'o': offset = (size_t)atol(optarg); break;
		case 'f': path = optarg; break;
		case 'q': quiet = atof(optarg); break;
		case 'z':
			nsizes = 0;
			for (char *t = strtok(optarg, ","); t && nsizes < MAX_SIZES; t = strtok(NULL, ","))
				sizes[nsizes++] = (size_t)atol(t);
			break;
		default:
			return 2;
		}
	}
	int nrows = argc - optind;
	if (nrows < 1 || nrows > MAX_ROWS || reps < 1 || reps > MAX_REPS || offset >= 4096) {
		fprintf(stderr, "usage: bench [-d secs] [-r reps] [-o dst_offset] [-z sizes] [-f file] row...\n");
		return 2;
	}
	static struct row rows[MAX_ROWS];
	for (int i = 0; i < nrows; i++)
		parse(&rows[i], argv[optind + i]);

	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, FILE_SIZE)) {
		perror(path);
		return 1;
	}
	file = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
	if (file == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	memset(file, 0, FILE_SIZE);     /* every page allocated before timing */
	size_t maxn = 0;
	for (int i = 0; i < nsizes; i++)
		maxn = sizes[i] > maxn ? sizes[i] : maxn;
	char *src = aligned_alloc(64, (maxn + 63) & ~(size_t)63);
	memset(src, 0x5a, maxn);

	ncpu = (int)sysconf(_SC_NPROCESSORS_ONLN);
	printf("features 0x%lx, flush kind %d, best copy kind %d, dst offset %zu, %d x %.2f s, quiet %.2f\n",
	       jdax_cpu_features(), jdax_flush_kind(), jdax_copy_kind(), offset, reps, secs, quiet);
	for (int k = 0; k < reps; k++)
		for (int i = 0; i < nrows; i++) {
			struct row *r = &rows[i];
			jdax_configure(JDAX_AUTO, r->copy, r->threshold, r->head_align);
			for (int j = 0; j < nsizes; j++)
				r->ns[j][k] = quiet_sample(r->op, src, sizes[j], secs);
			fprintf(stderr, "rep %d/%d row %s done\n", k + 1, reps, r->name);
		}

	printf("| row |");
	for (int j = 0; j < nsizes; j++)
		printf(sizes[j] >= 1 << 20 ? " %zu MiB |" : sizes[j] >= 1024 ? " %zu KiB |" : " %zu B |",
		       sizes[j] >= 1 << 20 ? sizes[j] >> 20 : sizes[j] >= 1024 ? sizes[j] >> 10 : sizes[j]);
	printf("\n|---|");
	for (int j = 0; j < nsizes; j++)
		printf("---|");
	printf("\n");
	for (int i = 0; i < nrows; i++) {
		printf("| %s |", rows[i].name);
		for (int j = 0; j < nsizes; j++) {
			int mark = 0;
			for (int k = 0; k < reps; k++)
				if (rows[i].ns[j][k] < 0)
					rows[i].ns[j][k] = -rows[i].ns[j][k], mark = 1;
			qsort(rows[i].ns[j], reps, sizeof(double), cmp);
			double ns = rows[i].ns[j][reps / 2];
			printf(" %.2f (%.0f)%s |", sizes[j] / ns, ns, mark ? "*" : "");
		}
		printf("\n");
	}
	if (noisy)
		printf("* some sample of this cell ran beside other load (50 tries)\n");
	munmap(file, FILE_SIZE);
	close(fd);
	unlink(path);
	return 0;
}
