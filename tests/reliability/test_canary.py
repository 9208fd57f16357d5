"""Scenarios 11 and 12: seeded bank details and a health word never appear unmasked in serve.log,
any email (every part and header), any error response, the CLI's output or the Prefect API; and the
database holds bank details only encrypted."""

from __future__ import annotations

import copy
import json
import sqlite3
from datetime import date, timedelta

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from tests.e2e.harness import act_on_link, links, text_of
from tests.reliability.support import FINANCE, LEAD, claim, wait_until


def _invalid_canary_claims(server) -> list[dict]:
    k = server.canary
    base = claim(900, tag="canary", canary=k)
    out = []
    bad = copy.deepcopy(base)
    bad["payment"]["account_number"] = k.account_number + "9"  # 9 digits
    out.append(bad)
    bad = copy.deepcopy(base)
    bad["payment"]["sort_code"] = k.sort_code.replace("-", "")
    bad["payment"]["account_name"] = ""
    out.append(bad)
    bad = copy.deepcopy(base)
    bad["payment"]["bank"] = {"account_number": k.account_number, "note": k.health_word}  # unknown field
    out.append(bad)
    bad = copy.deepcopy(base)
    bad["expenses"][0]["description"] = (k.health_word + " ") * 60  # too long
    bad["activity"]["date"] = (date.today() + timedelta(days=3)).isoformat()
    out.append(bad)
    bad = copy.deepcopy(base)
    bad["payment"]["method"] = k.account_number
    bad["expenses"][0]["kind"] = k.health_word
    out.append(bad)
    return out


def test_canary_never_leaks(server, rsink, prefect_api):
    k = server.canary
    errors = []
    for i, bad in enumerate(_invalid_canary_claims(server)):
        r = server.post(bad, f"msg_canary_bad_{i}")
        assert r.status_code == 422, r.text
        errors.append(r.text)
        assert not k.leaks(r.text) and k.account_number not in r.text and k.health_word not in r.text, r.text
    # the same delivery id with another body: the 422 must not echo the body either
    good = claim(1, tag="canaryok", canary=k)
    assert server.post(good, "msg_canary_ok").status_code == 202
    other = copy.deepcopy(good)
    other["expenses"][0]["amount"] = "9.99"
    r = server.post(other, "msg_canary_ok")
    assert r.status_code == 422 and not k.leaks(r.text), r.text
    # a full lifecycle with the canary: processed, approved by link, paid; another rejected by link
    ref = wait_until(
        lambda: [x for x, _, s in server.claims("canaryok-1") if s == "awaiting_approval"],
        120,
        what="the canary claim processed",
    )[0]
    [mail] = wait_until(lambda: rsink.find(ref, "approval", to=LEAD), 60, what="approval email")
    assert act_on_link(links(text_of(mail), "Approve")[0]).status_code == 200
    assert server.cli("claims", "pay", ref, "--by", FINANCE).returncode == 0
    second = claim(2, tag="canaryrej", canary=k)
    assert server.post(second, "msg_canary_rej").status_code == 202
    ref2 = wait_until(
        lambda: [x for x, _, s in server.claims("canaryrej-2") if s == "awaiting_approval"],
        120,
        what="the second canary claim processed",
    )[0]
    [mail2] = wait_until(lambda: rsink.find(ref2, "approval", to=LEAD), 60, what="approval email")
    act_on_link(links(text_of(mail2), "Reject")[0], {"reason": "Not on this panel"})
    wait_until(
        lambda: rsink.find(ref, "paid") and rsink.find(ref2, "not approved"), 90, what="paid/rejected emails"
    )
    # what the CLI prints (show, list, audit export, a payment run without bank details)
    out = server.cli("claims", "show", ref, "--json").stdout + server.cli("claims", "list", "--json").stdout
    server.cli("audit", "export", "--out", str(server.workdir / "audit.jsonl"))
    out += (server.workdir / "audit.jsonl").read_text()
    leaks = server.leaks(rsink, prefect_api, extra=out + "\n".join(errors))
    assert not leaks, f"canary found unmasked in: {leaks}"
    masked = json.loads(server.cli("claims", "show", ref, "--json").stdout)["bank_account"]
    assert masked.endswith(k.account_number[-2:]) and k.account_number not in masked


def test_bank_details_encrypted_at_rest(server):
    """A raw dump of the database (every table, text and blob columns) holds no plaintext bank detail."""
    k = server.canary
    assert server.post(claim(3, tag="rest", canary=k), "msg_rest").status_code == 202
    db = sqlite3.connect(server.workdir / "involve.db")
    dump = "\n".join(db.iterdump())
    blobs = []
    for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for row in db.execute(f'SELECT * FROM "{table}"'):
            blobs += [v.decode("utf-8", "replace") for v in row if isinstance(v, bytes)]
    db.close()
    found = {
        n: p.pattern
        for n, p in k.patterns().items()
        if n != "health_word" and p.search(dump + "\n".join(blobs))
    }
    assert not found, f"plaintext bank details in the database: {found}"
    assert "gAAAAA" in dump or any(b.startswith("gAAAAA") for b in blobs)  # Fernet tokens are there


def test_sql_errors_carry_no_row_values(db):
    """SQLAlchemy puts statement parameters into exception text (and so into logs and Prefect's
    task-run states); the engine hides them."""
    from involve.db import get_engine, unit_of_work
    from models import Person

    assert get_engine().hide_parameters
    secret_name = "Canary Person lithium-canary"
    with unit_of_work() as s:
        s.execute(
            insert(Person),
            [
                {
                    "email": "canary@example.org",
                    "name": secret_name,
                    "active": True,
                    "unavailable": [],
                    "conflicts": [],
                }
            ],
        )
    try:
        with unit_of_work() as s:
            s.execute(
                insert(Person),
                [
                    {
                        "email": "canary@example.org",
                        "name": secret_name,
                        "active": True,
                        "unavailable": [],
                        "conflicts": [],
                    }
                ],
            )
    except IntegrityError as exc:
        # the row's values are hidden; PostgreSQL itself still names the conflicting key in DETAIL
        assert secret_name not in str(exc) and "parameters hidden" in str(exc), str(exc)
    else:
        raise AssertionError("expected a unique-constraint error")
