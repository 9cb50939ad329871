#!/usr/bin/env python3
"""Times Python's cryptography Fernet in its own process; bench/run.mjs spawns it and reads the JSON.

    python3 bench/python_bench.py [SECONDS_PER_CELL] [SIZE ...]

Prints {"python": ..., "cryptography": ..., "results": [{"size", "op", "opsPerSec", "usPerOp", "sustainedOpsPerSec"}]}.
Measured the same way as run.mjs: warm up, pick a batch that takes about 25 ms, run batches for the
time budget, report the median batch and the sustained rate (all batches over their whole time).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time

import cryptography
from cryptography.fernet import Fernet


def measure(fn, seconds: float) -> tuple[float, float]:
    """Operations per CPU second: the median batch of about 25 ms, and all batches over their whole time.

    CPU time of this process (user + system, all threads), as run.mjs times ours: on a shared machine
    wall time would measure the other users' load."""
    clock = time.process_time
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
    start = clock()
    end = start + seconds
    while clock() < end or len(rates) < 5:
        t = clock()
        for _ in range(n):
            fn()
        rates.append(n / (clock() - t))
    return statistics.median(rates), len(rates) * n / (clock() - start)


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
            ops, sustained = measure(fn, seconds)
            results.append({"size": size, "op": op, "opsPerSec": ops, "usPerOp": 1e6 / ops, "sustainedOpsPerSec": sustained})
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
