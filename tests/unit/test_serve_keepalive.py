"""`involve serve` keeps an idle keep-alive connection open longer than any client in front of it
reuses one (involve/serve.py, KEEP_ALIVE_SECONDS).

A server that closes an idle connection just as the client reuses it resets the connection with the
request unread, and the sender gets no answer: the soak's load row saw it for 1 request in 1,200 with
uvicorn's default of 5 s, which equals httpx's keep-alive expiry (`make soak` has a row, "idle
keep-alive connections reused", that provokes it; it needs seconds of idling, so it is not here)."""
from __future__ import annotations

import httpx
import uvicorn

from involve.serve import uvicorn_options

# the longest time a reverse proxy in front (docs/scale-out.md) reuses an idle upstream connection by
# default: Caddy 2 min (nginx and AWS ALB 60 s; Go, hyper and Traefik 90 s)
PROXY_IDLE_SECONDS = 120


def test_idle_connections_outlive_the_clients_that_reuse_them():
    config = uvicorn.Config(app=None, **uvicorn_options())
    assert config.timeout_keep_alive > httpx.Limits().keepalive_expiry  # httpx: 5 s
    assert config.timeout_keep_alive > PROXY_IDLE_SECONDS
