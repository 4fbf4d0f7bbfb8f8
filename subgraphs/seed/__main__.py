"""`python -m subgraphs.seed --citizens N --data-dir D`: (re)write every agency's register."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from subgraphs.seed import seed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m subgraphs.seed", description=__doc__)
    parser.add_argument("--citizens", type=int, default=1000)
    parser.add_argument(
        "--data-dir", type=Path, default=Path(os.environ.get("CITIZEN_DATA_DIR", ".data"))
    )
    args = parser.parse_args(argv)
    if args.citizens < 1:
        parser.error("--citizens must be at least 1")
    started = time.perf_counter()
    timings = seed(args.data_dir, args.citizens)
    for stage, seconds in timings.items():
        print(f"  {stage:<18} {seconds:6.2f} s")
    total = time.perf_counter() - started
    print(f"seeded {args.citizens} citizens into {args.data_dir} in {total:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
