#!/usr/bin/env python3
"""The table of benchmarks/fsdax-vs-fio.sh: GB/s (10^9 bytes/s) and ns per operation of each row,
median over the rounds with the range, and the ratios the issue sets targets for, each taken
within one round (both sides measured minutes apart on the same machine) before the median."""
import glob
import json
import os
import re
import statistics
import sys

out = sys.argv[1]
meta = dict(line.split(' ', 1) for line in open(os.path.join(out, 'meta.txt')).read().splitlines())
fsync_n = int(re.search(r'fsync_n (\d+)', meta['rounds']).group(1))
SIZES = (4096, 65536)

# rows[(row, size)][round] = GB/s
rows = {}


def put(row, size, rnd, gbps):
    rows.setdefault((row, size), {})[rnd] = gbps


for path in sorted(glob.glob(os.path.join(out, 'jmh-r*.json'))):
    rnd = int(re.search(r'jmh-r(\d+)\.json', path).group(1))
    for b in json.load(open(path)):
        p = b['params']
        size = int(p['size'])
        ns = b['primaryMetric']['score']
        name = b['benchmark'].rsplit('.', 2)[-2]
        if name == 'FsDaxWriteBenchmark':
            row = 'fsdax-fsync1' if p['fsyncEvery'] == '1' else 'fsdax-fsyncN'
        elif name == 'WritePathBenchmark':
            row = 'driver-write'
        else:
            row = p['path']
        put(row, size, rnd, size / ns)

for path in sorted(glob.glob(os.path.join(out, 'fio-r*.json'))):
    m = re.search(r'fio-r(\d+)-([\w-]+)-(\d+)\.json', path)
    rnd, job, size = int(m.group(1)), m.group(2), int(m.group(3))
    j = json.load(open(path))['jobs'][0]
    d = j['read' if job == 'read' else 'write']
    put('fio-' + job, size, rnd, d['bw_bytes'] / 1e9)

rounds = sorted({r for v in rows.values() for r in v})


def fmt(values, digits=2):
    values = sorted(values)
    if not values:
        return 'n/a'
    med = statistics.median(values)
    if len(values) == 1:
        return f'{med:.{digits}f}'
    return f'{med:.{digits}f} ({values[0]:.{digits}f}–{values[-1]:.{digits}f})'


def cell(row, size):
    v = rows.get((row, size), {})
    g = list(v.values())
    if not g:
        return 'n/a'
    ns = size / statistics.median(g)
    return f'{fmt(g)}, {ns:,.0f} ns'


TITLES = [
    ('fsdax-fsync1', 'jdax fs-dax write + fsync every write'),
    ('fsdax-fsyncN', f'jdax fs-dax write, fsync every {fsync_n}'),
    ('driver-write', 'jdax driver durable copy (pmem copyFromIter + flush() per write)'),
    ('fio-write-sync', 'fio libpmem write, sync=1 direct=1 (nt pmem_memcpy + pmem_drain per write)'),
    ('fio-write-fsync', f'fio libpmem write, sync=0 direct=1 fsync={fsync_n} (nt pmem_memcpy; pmem_drain every {fsync_n})'),
    ('fsdax-read', 'jdax fs-dax read'),
    ('driver-read', 'jdax driver read (directAccess + copyToIter)'),
    ('fio-read', 'fio libpmem read (memcpy from the mapping)'),
]

print(f"GB/s, median of {len(rounds)} round(s) (range), and ns per operation at the median; {meta['date']}")
print()
print('| row | 4 KiB | 64 KiB |')
print('|---|---|---|')
for key, title in TITLES:
    print(f'| {title} | {cell(key, 4096)} | {cell(key, 65536)} |')
print()

RATIOS = [
    ('fsdax-fsync1', 'driver-write', 0.9, 'fs-dax write+fsync / driver durable copy'),
    ('fsdax-fsync1', 'fio-write-sync', 1.0, 'fs-dax write+fsync / fio sync=1 (durable per write)'),
    ('fsdax-fsyncN', 'fio-write-fsync', 1.0, f'fs-dax fsync every {fsync_n} / fio fsync={fsync_n}'),
    ('fsdax-read', 'driver-read', None, 'fs-dax read / driver read'),
    ('fsdax-read', 'fio-read', None, 'fs-dax read / fio read'),
]
print('| ratio (within a round) | target | 4 KiB | 64 KiB |')
print('|---|---|---|---|')
for a, b, target, title in RATIOS:
    cells = []
    for size in SIZES:
        ra, rb = rows.get((a, size), {}), rows.get((b, size), {})
        rs = [ra[r] / rb[r] for r in rounds if r in ra and r in rb]
        if not rs:
            cells.append('n/a')
            continue
        med = statistics.median(rs)
        verdict = '' if target is None else (' met' if med >= target else ' **missed**')
        cells.append(fmt(rs) + verdict)
    print(f"| {title} | {'' if target is None else '≥ ' + str(target)} | {cells[0]} | {cells[1]} |")
print()

print('Load average (1/5/15 min) around each part:')
print()
for line in open(os.path.join(out, 'load.txt')).read().splitlines():
    r, side, when, *la = line.split()
    print(f'- round {r} {side} {when}: {" ".join(la)}')
print()
for k in ('host', 'java', 'fio', 'rounds', 'wall'):
    if k in meta:
        print(f'- {k} {meta[k]}')
