"""``python -m bench [--quick] [PART ...]``: run the suite, print the table, write the JSON."""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from pathlib import Path

from bench.procs import raise_nofile
from bench.report import RESULTS, Run, machine, markdown, table, write

PARTS = ("engine", "startup", "service", "e2e", "workers", "connections", "growth")


def parse(argv: list[str]) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("parts", nargs="*", choices=[[], *PARTS], metavar="PART",
                        help=f"parts to run (default: all): {', '.join(PARTS)}")  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="small N: a smoke run in seconds")
    parser.add_argument("--out", type=Path, help="results file (default: bench/results/...)")
    parser.add_argument("--markdown", action="store_true", help="also print a Markdown table")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the chosen parts in order; exit 0 when every part ran (targets are reported)."""
    args = parse(sys.argv[1:] if argv is None else argv)
    parts = [p for p in PARTS if p in args.parts] or list(PARTS)
    raise_nofile()
    run = Run(quick=args.quick, parts=parts, machine=machine())
    print(f"qualibot bench: {', '.join(parts)}{' (quick)' if args.quick else ''}", flush=True)
    print(f"machine: {run.machine['cpu']}, {run.machine['cores']} cores, "
          f"{run.machine['ram_gib']} GiB, Python {run.machine['python']}", flush=True)  # fmt: skip
    total = time.perf_counter()
    for part in parts:
        started = time.perf_counter()
        module = importlib.import_module(f"bench.{part}")
        figures, details = module.run(args.quick)
        run.seconds[part] = round(time.perf_counter() - started, 1)
        run.machine.setdefault("load_average_1m_after", {})[part] = round(os.getloadavg()[0], 2)
        run.figures += figures
        run.details[part] = details
        print(f"\n[{part}: {run.seconds[part]} s]\n{table(figures)}", flush=True)
    run.seconds["total"] = round(time.perf_counter() - total, 1)
    # A partial or quick run never overwrites the full figures in latest.json.
    default = "latest.json" if len(parts) == len(PARTS) else "partial.json"
    out = args.out or RESULTS / ("quick.json" if args.quick else default)
    write(run, out)
    print(f"\n[all: {run.seconds['total']} s]\n{table(run.figures)}\n\nwritten to {out}")
    if args.markdown:
        print("\n" + markdown(run))
    return 0


if __name__ == "__main__":
    sys.exit(main())
