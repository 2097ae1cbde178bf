"""How long secret redaction takes on a typical prompt (it runs before every model request).

``python -m benchmarks.redact_speed`` redacts the first 500 lines of a standard-library module
(with two secrets planted) many times and prints the median and p95 per prompt, plus the time
of the first call (which loads the detect-secrets plugins).
"""

from __future__ import annotations

import inspect
import statistics
import time


def main() -> None:
    """Print the timings."""
    started = time.perf_counter()
    from analyzers.redact import redact

    redact("warm-up")
    first = time.perf_counter() - started
    lines = inspect.getsource(inspect).splitlines()[:500]
    lines[100] = 'aws_key = "AKIA' + 'Q3EGRQWZ5TNPXYZ1"'
    lines[200] = 'password = "hunter2isverysecret"'
    text = "\n".join(lines)
    timings = []
    for _ in range(200):
        began = time.perf_counter()
        result = redact(text)
        timings.append(time.perf_counter() - began)
    timings.sort()
    print(f"import + first call: {first * 1000:.1f} ms")
    print(f"500-line prompt ({len(text)} chars, {len(result.secrets)} secrets found):")
    print(f"  median {statistics.median(timings) * 1000:.2f} ms, p95 {timings[189] * 1000:.2f} ms")


if __name__ == "__main__":
    main()
