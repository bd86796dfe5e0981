#!/usr/bin/env bash
# fs-dax against fio, ratios from one run (issue 5, "Benchmark"; docs/BENCHMARKS.md, "fs-dax against fio").
#
# In one run, on the same kind of file (emulated pmem in /dev/shm) and the same block sizes (4 KiB,
# 64 KiB), each round measures:
#   jdax (JMH, benchmarks.jar, device mode=emulated: CPU_CACHE, flush() = sfence, no msync;
#         one warm source/destination buffer, as fio's single io_u with iodepth=1):
#     fs-dax write + fsync every write   FsDaxWriteBenchmark  fsyncEvery=1
#     fs-dax write, fsync every N        FsDaxWriteBenchmark  fsyncEvery=$FSYNC_N
#     driver durable copy                WritePathBenchmark   method=jdax-durable (copyFromIter + flush() per write)
#     fs-dax read / driver read          FsDaxReadBenchmark   path=fsdax-read / driver-read
#   fio 3.33, ioengine=libpmem on a /dev/shm file (PMEM_IS_PMEM_FORCE=1: without it fio refuses a
#   file that is not on persistent memory):
#     sync=1 direct=1        each write: pmem_memcpy(PMEM_F_MEM_NONTEMPORAL) then pmem_drain (sfence)
#     sync=0 direct=1 fsync=N each write: pmem_memcpy(NONTEMPORAL|NODRAIN); every N writes pmem_drain
#     read                   each read: memcpy from the mapping into the io_u buffer
# Rounds alternate which side goes first; ratios are taken within a round, and the summary gives
# the median and the range over the rounds, with the load average around each part.
#
# Environment: ROUNDS (3), FSYNC_N (16), WARMUP (2 x 1 s), ITERS (5 x 1 s), FIO_RUNTIME (5 s,
# after FIO_RAMP 1 s), OUT (results directory, default a new one under /tmp), SKIP_BUILD=1 to use
# the jar as built. Needs root or sudo only to install fio.
set -euo pipefail

ROUNDS=${ROUNDS:-3}
FSYNC_N=${FSYNC_N:-16}
WARMUP=${WARMUP:-2}
ITERS=${ITERS:-5}
FIO_RUNTIME=${FIO_RUNTIME:-5}
FIO_RAMP=${FIO_RAMP:-1}
SPAN_MIB=256 # bytes each side walks: the file, fio's file, and Workbench's driver-level region (256 MiB)
SIZES=(4096 65536)

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$(mktemp -d /tmp/fsdax-vs-fio.XXXXXX)}
mkdir -p "$OUT"

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

# ---- fio
if ! command -v fio >/dev/null; then
    log "installing fio (Debian 3.33)"
    SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y fio >&2
fi
FIO_VERSION=$(fio --version)
if ! fio --enghelp 2>/dev/null | grep -qw libpmem; then
    echo "$FIO_VERSION has no libpmem ioengine" >&2
    exit 2
fi

# ---- build
cd "$ROOT"
# shellcheck source=/dev/null
. scripts/find-jdk25.sh
if [ "${SKIP_BUILD:-0}" != 1 ]; then
    log "building benchmarks.jar"
    ./mvnw25 -q -B -pl benchmarks -am package -DskipTests >&2
fi
JAR=$ROOT/benchmarks/target/benchmarks.jar

# ---- scratch: a private directory in /dev/shm for both sides
SCRATCH=$(mktemp -d /dev/shm/jdax-fsdax-vs-fio.XXXXXX)
trap 'rm -rf "$SCRATCH"' EXIT INT TERM

run_jdax() { # $1 round
    local sizes
    sizes=$(IFS=,; echo "${SIZES[*]}")
    "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -jar "$JAR" \
        '(FsDaxWriteBenchmark|FsDaxReadBenchmark|WritePathBenchmark)\.' \
        -p kind=USER -p method=jdax-durable -p path=fsdax-read,driver-read \
        -p mode=emulated -p slots=1 -p fileBytes=$((SPAN_MIB << 20)) -p fsyncEvery=1,"$FSYNC_N" -p size="$sizes" \
        -f 1 -wi "$WARMUP" -w 1 -i "$ITERS" -r 1 \
        -jvmArgsAppend "-Djdax.bench.dir=$SCRATCH" \
        -rf json -rff "$OUT/jmh-r$1.json" > "$OUT/jmh-r$1.log" 2>&1 \
        || { tail -40 "$OUT/jmh-r$1.log" >&2; exit 1; }
    # every cell's device line must say CPU_CACHE (mode=emulated), or the figures are another path's
    local devices
    devices=$(grep -o '# jdax: .*' "$OUT/jmh-r$1.log" || true)
    if [ -z "$devices" ] || grep -qv 'CPU_CACHE' <<< "$devices"; then
        echo "a jdax device was not CPU_CACHE: see $OUT/jmh-r$1.log" >&2
        exit 1
    fi
}

run_fio() { # $1 round
    local bs job
    for bs in "${SIZES[@]}"; do
        for job in write-sync write-fsync read; do
            local opts=(--name="$job-$bs" --ioengine=libpmem --filename="$SCRATCH/fio.img" --size="${SPAN_MIB}M"
                        --bs="$bs" --iodepth=1 --numjobs=1 --direct=1 --time_based --runtime="$FIO_RUNTIME"
                        --ramp_time="$FIO_RAMP" --output-format=json)
            case $job in
                write-sync)  opts+=(--rw=write --sync=1) ;;
                write-fsync) opts+=(--rw=write --sync=0 --fsync="$FSYNC_N") ;;
                read)        opts+=(--rw=read) ;;
            esac
            PMEM_IS_PMEM_FORCE=1 fio "${opts[@]}" > "$OUT/fio-r$1-$job-$bs.json" 2> "$OUT/fio-r$1-$job-$bs.err" \
                || { cat "$OUT/fio-r$1-$job-$bs.err" >&2; exit 1; }
        done
    done
}

{
    echo "date $(date -Is)"
    echo "host $(uname -r), $(nproc) vCPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)"
    echo "java $("$JAVA_HOME/bin/java" -version 2>&1 | head -1)"
    echo "fio $FIO_VERSION"
    echo "rounds $ROUNDS fsync_n $FSYNC_N warmup $WARMUP iters $ITERS fio_runtime $FIO_RUNTIME fio_ramp $FIO_RAMP span_mib $SPAN_MIB"
} > "$OUT/meta.txt"
: > "$OUT/load.txt"

START=$(date +%s)
for r in $(seq 1 "$ROUNDS"); do
    if [ $((r % 2)) -eq 1 ]; then order=(jdax fio); else order=(fio jdax); fi
    for side in "${order[@]}"; do
        log "round $r/$ROUNDS: $side (load $(load))"
        echo "$r $side before $(load)" >> "$OUT/load.txt"
        "run_$side" "$r"
        echo "$r $side after $(load)" >> "$OUT/load.txt"
    done
done
echo "wall $(( $(date +%s) - START )) s" >> "$OUT/meta.txt"

python3 "$ROOT/benchmarks/fsdax-vs-fio-summary.py" "$OUT" | tee "$OUT/summary.md"
log "results in $OUT"
