"""The embedded default's runner in its own process: `involve serve` starts it (and the Prefect API
it uses) as children, starts it again when it is killed, and it stops when serve is gone; claims
accepted meanwhile are processed by the next runner (the database holds the work)."""
from __future__ import annotations

import copy
import os
import signal
import time
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.e2e.harness import LiveServer
from tests.procs import children

LEAD = "lead.runner@example.nhs.uk"


def runner_pid(live: LiveServer) -> int | None:
    return next((pid for pid, cmd in children(live.proc.pid).items() if "involve.runner_process" in cmd), None)


def wait_for(check, timeout: float = 300.0, what: str = ""):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if got := check():
            return got
        time.sleep(0.2)
    raise AssertionError(f"gave up waiting for {what}")


def gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"
    except OSError:
        return True


def claim(example: dict, n: int) -> dict:
    c = copy.deepcopy(example)
    c["activity"].update(date=(date.today() - timedelta(days=2 + n)).isoformat(), lead_email=LEAD)
    c["claimant"] = {"name": f"Runner Test {n}", "email": f"runner.test.{n}@example.org"}
    return c


@pytest.mark.e2e
def test_runner_child_restarts_and_stops_with_serve(live, sink, example_claim):
    r = live.cli("staff", "add", "--email", LEAD, "--name", "Lead", "--role", "lead", "--by", live.admin)
    assert r.returncode == 0, r.stderr
    api = wait_for(lambda: next((pid for pid, cmd in children(live.proc.pid).items()
                                 if "prefect.server.api.server:create_app" in cmd), None),
                   what="the Prefect API process")
    first = wait_for(lambda: runner_pid(live), what="the runner process")

    r = live.post_claim(claim(example_claim, 1), msg_id="runner-1")
    assert r.status_code == 202, r.text
    assert sink.wait(r.json()["reference"], "approval", to=LEAD, timeout=300)

    os.kill(first, signal.SIGKILL)  # the runner dies; serve keeps taking claims
    r = live.post_claim(claim(example_claim, 2), msg_id="runner-2")
    assert r.status_code == 202, r.text
    second = wait_for(lambda: (pid := runner_pid(live)) and pid != first and pid, what="a new runner process")
    assert sink.wait(r.json()["reference"], "approval", to=LEAD, timeout=300)

    os.kill(live.proc.pid, signal.SIGKILL)  # serve dies alone: its runner stops after its cycle
    wait_for(lambda: gone(second) and gone(api), what="the runner and the Prefect API to stop once serve is gone")
    live.proc.wait(10)
    live.start(timeout=300)  # and the next serve processes what was accepted meanwhile, once
    r = live.post_claim(claim(example_claim, 3), msg_id="runner-3")
    assert r.status_code == 202, r.text
    assert sink.wait(r.json()["reference"], "approval", to=LEAD, timeout=300)
    _, listed = live.cli_json("claims", "list")
    mine = [c for c in listed if c["claimant_email"].startswith("runner.test.")]
    assert len(mine) == 3 and all(c["status"] == "awaiting_approval" for c in mine), mine


def _maildir_has(folder: Path, *words: str) -> bool:
    import mailbox

    return any(all(w in msg.as_string() for w in words) for msg in mailbox.Maildir(str(folder), create=False))


@pytest.mark.e2e
def test_the_embedded_mail_sink_is_a_child_that_restarts_at_the_same_url(tmp_path, example_claim):
    """No INVOLVE_SMTP_URL: serve's Maildir sink runs in a child process (not under the web app's GIL),
    and a sink killed with -9 is started again on the same socket, so the runner's mail still arrives."""
    live = LiveServer(tmp_path, 1)
    del live.env["INVOLVE_SMTP_URL"]
    live.start(timeout=300)
    try:
        r = live.cli("staff", "add", "--email", LEAD, "--name", "Lead", "--role", "lead", "--by", live.admin)
        assert r.returncode == 0, r.stderr
        sink_pid = lambda: next((pid for pid, cmd in children(live.proc.pid).items()  # noqa: E731
                                 if "involve.mail.sink_process" in cmd), None)
        first = wait_for(sink_pid, what="the mail sink process")
        mail = tmp_path / "var" / "mail"
        r = live.post_claim(claim(example_claim, 11), msg_id="sink-1")
        assert r.status_code == 202, r.text
        wait_for(lambda: _maildir_has(mail, r.json()["reference"], LEAD), what="the approval email in the Maildir")

        os.kill(first, signal.SIGKILL)
        second = wait_for(lambda: (pid := sink_pid()) and pid != first and pid, what="a new mail sink process")
        r = live.post_claim(claim(example_claim, 12), msg_id="sink-2")
        assert r.status_code == 202, r.text
        wait_for(lambda: _maildir_has(mail, r.json()["reference"], LEAD), what="mail through the new sink")
    finally:
        live.stop()
    wait_for(lambda: gone(second), 60, what="the sink to stop with serve")
