"""The embedded mail sink as a child process of `involve serve` (involve/runner_process.py starts,
restarts and stops it): `python -m involve.mail.sink_process FD MAILDIR` serves SMTP on the listening
socket FD (bound once by serve, so its URL never changes) and stores every message in MAILDIR.

It ran as a thread of the web process before: every email the runner sent was parsed and written
under the web app's GIL (15 % of the web process's samples while intake was busy, py-spy)."""
from __future__ import annotations

import signal
import socket
import sys
import threading
from pathlib import Path


def main() -> None:
    from involve.mail.smtp import MaildirSink

    fd, directory = int(sys.argv[1]), Path(sys.argv[2])
    stopping = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopping.set())
    sink = MaildirSink(directory, sock=socket.socket(fileno=fd)).start()
    try:
        while not stopping.wait(1.0):
            pass
    finally:
        sink.stop()


if __name__ == "__main__":
    main()
