"""Intake's writer process (INVOLVE_INTAKE_WRITER=process, the default; involve/intake_writer.py): the
webhook answers exactly as with the writer thread, on SQLite and PostgreSQL; a writer that dies costs
its batch a 503 and the next request starts a new one; an error that cannot be pickled still answers."""
from __future__ import annotations

import json
import os
import pickle
import signal

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from involve.db import reader
from involve.errors import DuplicateDelivery, InvalidClaim
from involve.intake_writer import _sendable
from involve.web.app import create_app
from models import Claim, Delivery
from tests.integration.test_webhooks import recent, signed


@pytest.fixture
def client(db, monkeypatch):
    monkeypatch.setenv("INVOLVE_INTAKE_WRITER", "process")
    from involve.settings import reset_settings

    reset_settings()
    app = create_app()
    with TestClient(app) as c:
        c.writer = app.state.committer.store_batch.__self__
        yield c


def _count(model) -> int:
    with reader() as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def test_answers_as_the_thread_does(client, example_claim):
    assert client.writer.pid and client.writer.pid != os.getpid()
    body = json.dumps(recent(example_claim)).encode()
    r = client.post("/webhooks/claims", content=body, headers=signed(body))
    assert r.status_code == 202, r.text
    with reader() as s:  # stored in this test's database, by the child
        assert s.execute(select(Claim.reference)).scalar_one() == r.json()["reference"]
    again = client.post("/webhooks/claims", content=body, headers=signed(body))
    assert again.status_code == 200 and again.json() == r.json()
    other = json.dumps(dict(example_claim, submission_id="changed")).encode()
    dup = client.post("/webhooks/claims", content=other, headers=signed(other))
    assert dup.status_code == 422 and "different body" in dup.json()["detail"]
    bad = dict(example_claim, declaration=False)
    body = json.dumps(bad).encode()
    refused = client.post("/webhooks/claims", content=body, headers=signed(body, "msg_bad"))
    assert refused.status_code == 422
    assert refused.json()["errors"] and refused.json()["errors"][0]["field"] == "declaration"
    assert _count(Claim) == 1 and _count(Delivery) == 1


def test_a_dead_writer_costs_one_answer_then_a_new_one_stores(client, example_claim):
    first = client.writer.pid
    os.kill(first, signal.SIGKILL)
    client.writer._proc.wait(10)
    claim = recent(example_claim)
    body = json.dumps(claim).encode()
    r = client.post("/webhooks/claims", content=body, headers=signed(body, "msg_after"))
    # the writer is found dead before the batch is sent: a new one stores it at once
    assert r.status_code == 202, r.text
    assert client.writer.pid != first and _count(Claim) == 1


def test_a_writer_killed_mid_batch_answers_503_and_nothing_twice(client, example_claim, monkeypatch):
    from involve import intake_writer

    wait = intake_writer.answer_within
    monkeypatch.setattr(intake_writer, "answer_within", lambda: 0.5)
    os.kill(client.writer.pid, signal.SIGSTOP)  # stuck: no answer within the (shortened) time
    body = json.dumps(recent(example_claim)).encode()
    r = client.post("/webhooks/claims", content=body, headers=signed(body, "msg_stuck"))
    assert r.status_code == 503 and r.headers["retry-after"] and "send it again" in r.json()["detail"]
    assert _count(Claim) == 0
    monkeypatch.setattr(intake_writer, "answer_within", wait)  # a new writer takes a moment to start
    again = client.post("/webhooks/claims", content=body, headers=signed(body, "msg_stuck"))
    assert again.status_code == 202, again.text
    assert _count(Claim) == 1


def test_a_body_too_deep_to_pickle_fails_alone(client, example_claim):
    from involve.services.intake import Incoming, IntakeResult

    deep: list = []
    for _ in range(990):  # as json.loads gives it in the event loop (its limit is ~994), too deep to pickle
        deep = [deep]
    with pytest.raises(RecursionError):
        pickle.dumps(deep)
    ok = recent(example_claim)
    out = client.writer.store([Incoming(deep, "msg_deep", "d" * 64), Incoming(ok, "msg_ok", "e" * 64)])
    assert isinstance(out[0], InvalidClaim) and out[0].errors[0]["message"] == "nests too deeply to be a claim"
    assert isinstance(out[1], IntakeResult) and out[1].created
    body = ("[" * 980 + "]" * 980).encode()
    r = client.post("/webhooks/claims", content=body, headers=signed(body, "msg_deep_http"))
    assert r.status_code == 422, r.text
    assert _count(Claim) == 1


def test_results_that_do_not_pickle_still_answer():
    class Unpicklable(Exception):
        def __reduce__(self):
            raise TypeError("holds a connection")

    class DriverDown(Exception):
        def __reduce__(self):
            raise TypeError("holds a connection")

    down = OperationalError("SELECT 1", None, DriverDown("server closed the connection"))
    out = pickle.loads(_sendable([InvalidClaim([{"field": "fee", "message": "bad"}]),
                                      DuplicateDelivery("seen"), Unpicklable("x"), down]))
    assert out[0].errors == [{"field": "fee", "message": "bad"}] and str(out[0]) == "fee: bad"
    assert isinstance(out[1], DuplicateDelivery) and str(out[1]) == "seen"
    assert isinstance(out[2], RuntimeError) and "Unpicklable" in str(out[2])
    assert isinstance(out[3], OperationalError)  # the web app answers 503, as for the driver's own error
