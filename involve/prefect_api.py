"""The embedded default's Prefect API child (`python -m involve.prefect_api FD APP`): Prefect's own
server app (`APP`, the factory Prefect's ephemeral mode runs) served by uvicorn on the listening
socket that `involve serve` bound and hands down as file descriptor `FD`.

serve binds the socket once (127.0.0.1, a port the kernel picks) and keeps it for its lifetime, so
the API's address never changes when the child is restarted, and no other process can take the
port between choosing it and binding it (choosing a free port and binding it later lost that race
on a busy machine: the child exited with "address already in use" and was started again and again).
"""
from __future__ import annotations

import socket
import sys


def main(argv: list[str] | None = None) -> None:
    fd, app = (argv if argv is not None else sys.argv[1:])
    import uvicorn

    sock = socket.socket(fileno=int(fd))  # family and type are read from the descriptor
    server = uvicorn.Server(uvicorn.Config(app, factory=True, lifespan="on", log_level="error"))
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
