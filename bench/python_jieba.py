#!/usr/bin/env python3
"""Times Python jieba on the texts written by the Rust text benchmark.

`cargo bench --bench text` (benches/text.rs) creates a throwaway venv, installs jieba into it and
runs this script there, in the same run as the Rust measurements, on the same texts. It prints one
JSON object on stdout: per-call p50/p99 of `jieba.lcut(text, HMM=True)` on the small and medium
texts (nearest-rank percentiles, as on the Rust side) and MB/s (10^6 bytes of UTF-8 per second)
on the long text.
"""

import argparse
import json
import math
import platform
import time


def percentile(sorted_samples, q):
    rank = min(max(math.ceil(q * len(sorted_samples)), 1), len(sorted_samples))
    return sorted_samples[rank - 1]


def latency(jieba, text, budget):
    # Warm-up, like the Rust side: the first calls pay for lazy work.
    warm_end = time.perf_counter() + budget / 10
    while time.perf_counter() < warm_end:
        jieba.lcut(text, HMM=True)
    samples = []
    end = time.perf_counter() + budget
    while time.perf_counter() < end and len(samples) < 200_000:
        t0 = time.perf_counter_ns()
        jieba.lcut(text, HMM=True)
        samples.append(time.perf_counter_ns() - t0)
    samples.sort()
    return {
        "n": len(samples),
        "p50_us": percentile(samples, 0.50) / 1e3,
        "p99_us": percentile(samples, 0.99) / 1e3,
        "tokens": len(jieba.lcut(text, HMM=True)),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--small", required=True)
    ap.add_argument("--medium", required=True)
    ap.add_argument("--long", required=True)
    ap.add_argument("--budget", type=float, default=3.0, help="seconds per latency figure")
    ap.add_argument("--long-runs", type=int, default=3)
    args = ap.parse_args()

    import jieba

    jieba.setLogLevel(60)  # silence the "Building prefix dict" chatter on stderr
    t0 = time.perf_counter()
    jieba.initialize()
    init_ms = (time.perf_counter() - t0) * 1e3

    def read(path):
        with open(path, encoding="utf-8") as f:
            return f.read()

    small, medium, long_text = read(args.small), read(args.medium), read(args.long)
    long_bytes = len(long_text.encode("utf-8"))
    jieba.lcut(long_text, HMM=True)  # warm-up run
    runs = []
    for _ in range(args.long_runs):
        t0 = time.perf_counter()
        jieba.lcut(long_text, HMM=True)
        runs.append(long_bytes / (time.perf_counter() - t0) / 1e6)

    print(json.dumps({
        "python": platform.python_version(),
        "jieba": getattr(jieba, "__version__", "?"),
        "init_ms": init_ms,
        "small": latency(jieba, small, args.budget),
        "medium": latency(jieba, medium, args.budget),
        "long": {"bytes": long_bytes, "mb_per_s": runs},
    }))


if __name__ == "__main__":
    main()
