"""Fuzz every decoder with N mutated inputs; any exception but ParseError is a crash.

Usage: python tests/fuzz/fuzz_run.py [--count N] [--jobs J] [--seed S] [--only NAME ...]
       [--crashes DIR] [--json]

Each decoder's N inputs are split into J slices run in parallel processes; input i of
slice k is reproducible from (seed, decoder, k). Crashing inputs are written to DIR
(default: /tmp/alexphone-fuzz-crashes) as NAME-<sha1>.bin; exit status 1 if any.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fuzz_mutator import Mutator
from fuzz_targets import all_targets

from alexphone.core.errors import ParseError


@dataclass(slots=True)
class Outcome:
    """What one slice of inputs did to one decoder."""

    inputs: int = 0
    rejected: int = 0  # ParseError: the decoder's own, expected refusal
    crashes: list[tuple[bytes, str]] = field(default_factory=list)


def run_slice(name: str, count: int, seed: str, max_crashes: int = 20) -> Outcome:
    """Feed ``count`` mutated inputs to decoder ``name``; collect the ones that crash it."""
    target = all_targets()[name]
    mutator = Mutator(target.seeds, random.Random(f"{seed}/{name}"), text=target.text)
    outcome = Outcome()
    for _ in range(count):
        data = mutator.mutate()
        outcome.inputs += 1
        try:
            target.decode(data)
        except ParseError:
            outcome.rejected += 1
        except Exception as exc:  # a crash is whatever else escapes the decoder
            if len(outcome.crashes) < max_crashes:
                where = traceback.extract_tb(exc.__traceback__)[-1]
                outcome.crashes.append(
                    (data, f"{type(exc).__name__}: {exc!s:.120} at {where.filename}:{where.lineno}")
                )
    return outcome


def main() -> int:
    """Run the campaign and print inputs/s per decoder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="inputs per decoder")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", default="alexphone")
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--crashes", type=Path, default=Path("/tmp/alexphone-fuzz-crashes"))
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    names = args.only or list(all_targets())
    share = -(-args.count // args.jobs)
    results = {}
    failed = False
    with ProcessPoolExecutor(args.jobs) as pool:
        for name in names:
            start = time.perf_counter()
            slices = [
                pool.submit(run_slice, name, min(share, args.count - k * share), f"{args.seed}/{k}")
                for k in range(args.jobs)
                if args.count - k * share > 0
            ]
            outcomes = [s.result() for s in slices]
            elapsed = time.perf_counter() - start
            inputs = sum(o.inputs for o in outcomes)
            crashes = [c for o in outcomes for c in o.crashes]
            results[name] = {
                "inputs": inputs,
                "rejected": sum(o.rejected for o in outcomes),
                "crashes": len(crashes),
                "inputs_per_s": round(inputs / elapsed),
                "seconds": round(elapsed, 1),
            }
            for data, reason in crashes:
                failed = True
                args.crashes.mkdir(parents=True, exist_ok=True)
                path = args.crashes / f"{name}-{hashlib.sha1(data).hexdigest()[:12]}.bin"
                path.write_bytes(data)
                print(f"CRASH {name}: {reason} -> {path}", file=sys.stderr)
            if not args.json:
                r = results[name]
                print(
                    f"{name:5} {r['inputs']:>9} inputs  {r['rejected']:>9} rejected  "
                    f"{r['crashes']:>3} crashes  {r['inputs_per_s']:>7} inputs/s "
                    f"({args.jobs} processes, {r['seconds']} s)",
                    flush=True,
                )
    if args.json:
        print(json.dumps(results, indent=2))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
