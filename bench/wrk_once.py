"""wrk sending pre-signed claims once each (bench/wrk_once.lua), for bench/e2e.py."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from bench.common import ROOT
from bench.intake import CONNECTIONS, THREADS

LUA = ROOT / "bench" / "wrk_once.lua"


class Wrk:
    """wrk sending the claims PREFIX-<thread>.tsv once (stdout to PREFIX.out); reaped with os.wait4 for its CPU."""

    def __init__(self, prefix: Path, url: str, bound: int) -> None:
        self.prefix, self.usage = prefix, None
        with open(f"{prefix}.out", "w") as out:
            self.proc = subprocess.Popen(["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{bound}s", "--timeout",
                                          "30s", "-s", str(LUA), url, "--", str(prefix)],
                                         stdout=out, stderr=subprocess.STDOUT)

    def running(self) -> bool:
        if self.usage is None:
            pid, status, usage = os.wait4(self.proc.pid, os.WNOHANG)
            if pid:
                self.usage, self.proc.returncode = usage, status
        return self.usage is None

    def interrupt(self) -> None:
        if self.running():
            self.proc.send_signal(signal.SIGINT)  # wrk stops sleeping out -d, joins its threads, prints

    def result(self, timeout: float = 30) -> dict:
        self.interrupt()
        end = time.monotonic() + timeout
        while self.running() and time.monotonic() < end:
            time.sleep(0.05)
        if self.running():
            self.proc.kill()
            raise RuntimeError("wrk did not stop after SIGINT")
        text = Path(f"{self.prefix}.out").read_text()
        for line in text.splitlines():
            if line.startswith("WRKJSON "):
                res = json.loads(line.removeprefix("WRKJSON "))
                res["cpu"] = self.usage.ru_utime + self.usage.ru_stime
                return res
        raise RuntimeError(f"wrk printed no result:\n{text[-2000:]}")
