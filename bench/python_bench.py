#!/usr/bin/env python3
"""Times Python's cryptography Fernet in its own process; bench/run.mjs spawns it and reads the JSON.

    python3 bench/python_bench.py [SECONDS_PER_CELL] [SIZE ...]

Prints {"python": ..., "cryptography": ..., "results": [{"size", "op", "opsPerSec", "usPerOp"}]}.
Measured the same way as run.mjs: warm up, pick a batch that takes about 25 ms, run batches for the
time budget, report the median batch.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time

import cryptography
from cryptography.fernet import Fernet


def measure(fn, seconds: float) -> float:
    """Median operations per second over batches of about 25 ms."""
    clock = time.perf_counter
    warm_end = clock() + seconds * 0.15
    while True:
        fn()
        if clock() >= warm_end:
            break
    n = 1
    while True:
        t = clock()
        for _ in range(n):
            fn()
        dt = clock() - t
        if dt >= 0.025:
            break
        n *= 2
    rates = []
    end = clock() + seconds
    while clock() < end or len(rates) < 5:
        t = clock()
        for _ in range(n):
            fn()
        rates.append(n / (clock() - t))
    return statistics.median(rates)


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 1.5
    sizes = [int(s) for s in sys.argv[2:]] or [1024, 65536, 1048576]
    f = Fernet(Fernet.generate_key())
    results = []
    for size in sizes:
        data = os.urandom(size)
        token = f.encrypt(data)
        assert f.decrypt(token) == data
        for op, fn in (("encrypt", lambda: f.encrypt(data)), ("decrypt", lambda: f.decrypt(token))):
            ops = measure(fn, seconds)
            results.append({"size": size, "op": op, "opsPerSec": ops, "usPerOp": 1e6 / ops})
    json.dump(
        {
            "python": ".".join(map(str, sys.version_info[:3])),
            "cryptography": cryptography.__version__,
            "results": results,
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
