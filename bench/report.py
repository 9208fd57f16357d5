"""Time the annual report on generated data (README: `python -m bench.report --claims N`).

    python -m bench.report --claims 100000 [--claims 1000000]

Generates N claims (`involve dev generate`) in a fresh folder, then runs `involve report annual`
and the raw-SQL yardstick side by side, printing wall time and peak RSS of each. The work is done
by `bench/annual_report.py`, which `make bench` also runs.
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from bench.annual_report import run
from bench.common import loadavg, table


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--claims", type=int, action="append", help="claims to generate (repeatable)")
    args = ap.parse_args()
    sizes = tuple(args.claims or [100_000])
    with tempfile.TemporaryDirectory(prefix="bench-report-") as tmp:
        print(f"load average before: {loadavg()}")
        rows = run(Path(tmp), sizes)
        print(table(rows))
        for r in rows:
            print(r.name, json.dumps(r.detail))
        print(f"load average after: {loadavg()}")


if __name__ == "__main__":
    main()
