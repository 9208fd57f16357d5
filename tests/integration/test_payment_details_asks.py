"""Asking again for payment details, with a moved clock (involve.clock.OFFSET): a claim ready to pay
without usable bank details gets a fresh `Payment details:` link each time the last one expires
(also when none was ever sent), at most INVOLVE_PAYMENT_DETAILS_ASKS times in all; then the
co-ordinators are told, once. A member of staff can send a fresh link; the person's answer makes
the claim payable and the asking stops."""
from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from involve import clock
from involve.cli.main import app
from involve.db import reader, unit_of_work
from involve.errors import InvolveError, NotAllowed, WrongState
from involve.services import payee_changes, payment_details_asks, payment_runs
from involve.settings import settings
from models import AuditRecord
from tasks.email import ask_again_for_payment_details
from tests.integration.finance_support import COORD, FIN, FIN2, LEAD, approved, get, link_in, mails, setup_people

GOOD = {"account_name": "K Lee", "sort_code": "08-99-99", "account_number": "66374958"}
BAD = {"account_name": "K Lee", "sort_code": "08-99-99", "account_number": "66374959"}  # fails the modulus check


@pytest.fixture
def moved(monkeypatch):
    monkeypatch.setattr(clock, "OFFSET", timedelta(0))

    def to(days: int):
        monkeypatch.setattr(clock, "OFFSET", timedelta(days=days))
    return to


def daily() -> tuple[int, int]:
    """The approval-reminders flow's task, as the flow runs it."""
    return asyncio.run(ask_again_for_payment_details.fn())


def asked(ref: str) -> list:
    return [m for m in mails("payment_details") if m.reference == ref]


def audit_actions(ref: str) -> list[str]:
    with reader() as s:
        return list(s.execute(select(AuditRecord.action).where(AuditRecord.reference == ref)
                              .order_by(AuditRecord.seq)).scalars())


def test_asked_again_when_the_link_expires_then_the_coordinators_told_once(db, example_claim, moved):
    setup_people()
    [ref] = approved(example_claim, 1, email="kim@example.org", method=None)
    [first] = asked(ref)  # processing asked once
    assert first.context["why"] == "missing" and "again" not in first.context
    life = settings.link_max_age_days
    assert settings.payment_details_asks == 3
    moved(life - 1)
    assert daily() == (0, 0)  # the first link still works
    moved(life + 1)
    assert daily() == (1, 0)
    second = asked(ref)[-1]
    assert second.context["again"] is True and second.context["why"] == "missing"
    assert second.context["expires_on"] == (clock.now() + timedelta(days=life)).date().isoformat()
    assert "/act/" in second.context["details_url"] and second.to_addr == "kim@example.org"
    moved(life + 2)
    assert daily() == (0, 0)  # the new link works: no email every day
    moved(2 * life + 2)
    assert daily() == (1, 0) and len(asked(ref)) == 3
    moved(3 * life + 3)
    assert daily() == (0, 1)  # asked three times in all: no fourth email, the co-ordinators are told
    told = mails("payment_details_unanswered")
    assert sorted(m.to_addr for m in told) == [COORD, FIN2]  # every co-ordinator
    assert {m.reference for m in told} == {ref} and told[0].context["asked"] == 3
    assert told[0].context["amount"] == f"{get(ref).payable_amount:.2f}"
    moved(3 * life + 4)
    assert daily() == (0, 0) and len(mails("payment_details_unanswered")) == 2 and len(asked(ref)) == 3
    assert audit_actions(ref).count("ask_payment_details") == 2
    assert audit_actions(ref).count("payment_details_unanswered") == 1
    with pytest.raises(payment_runs.NothingToPay):
        payment_runs.create_run(by=FIN, out_dir=settings.payment_runs_dir)

    # a co-ordinator phones the person and sends a fresh link; the person answers through it
    with pytest.raises(NotAllowed):
        payment_details_asks.ask_now(ref, by=LEAD)
    payment_details_asks.ask_now(ref, by=COORD)
    fresh = asked(ref)[-1]
    assert fresh.context["again"] is True and len(asked(ref)) == 4
    payee_changes.give_details(link_in(fresh, "details_url"), **GOOD)
    moved(5 * life)
    assert daily() == (0, 0)  # payable now: nothing more to ask, nobody more to tell
    run = payment_runs.create_run(by=FIN, out_dir=settings.payment_runs_dir)
    assert run.claims == [ref]
    payment_runs.mark_paid(run.reference, by=FIN)
    with pytest.raises(WrongState):  # paid: nothing to ask
        payment_details_asks.ask_now(ref, by=FIN)


def test_a_link_never_sent_goes_at_once_and_bad_details_are_asked_for_again(db, example_claim, moved):
    setup_people()
    [never] = approved(example_claim, 1, email="kim@example.org", method=None)
    [bad] = approved(example_claim, 1, start=4, email="lee@example.org", bank=BAD)
    [ready] = approved(example_claim, 1, start=8, email="sam.okafor@example.org")
    with unit_of_work() as s:  # e.g. a claim from before links were sent: no Payment details: link at all
        s.execute(text("DELETE FROM link_tokens WHERE reference = :r"), {"r": never})
        s.execute(text("DELETE FROM outbox WHERE reference = :r AND template = 'payment_details'"), {"r": never})
    assert [m.context["why"] for m in asked(bad)] == ["invalid"]
    assert "bank_details_invalid" in get(bad).flags
    assert daily() == (1, 0)  # only the one never asked; the bad details' link still works
    [sent] = [m for m in asked(never)]
    assert sent.context["why"] == "missing" and sent.context["again"] is False
    moved(settings.link_max_age_days + 1)
    assert daily() == (2, 0)  # both links have expired
    assert len(asked(never)) == 2 and [m.context["why"] for m in asked(bad)] == ["invalid", "invalid"]
    assert asked(bad)[-1].context["again"] is True
    assert asked(ready) == []  # ready to pay: never asked
    with pytest.raises(InvolveError, match="ready to pay"):
        payment_details_asks.ask_now(ready, by=FIN)


def test_ask_details_command(db, example_claim):
    setup_people()
    [ref] = approved(example_claim, 1, email="kim@example.org", method=None)
    cli = CliRunner()
    r = cli.invoke(app, ["payments", "ask-details", ref, "--by", FIN, "--json"])
    assert r.exit_code == 0, r.output
    assert len(asked(ref)) == 2 and asked(ref)[-1].context["again"] is False  # the first link still works
    r = cli.invoke(app, ["payments", "ask-details", ref, "--by", "nobody@example.org"])
    assert r.exit_code == 2 and len(asked(ref)) == 2


def test_asks_counts_from_the_last_link_used():
    from datetime import UTC, datetime

    from involve.links import Issued

    t = datetime(2026, 12, 1, tzinfo=UTC)
    day = timedelta(days=1)
    used = Issued(t, t + 14 * day, t + 2 * day)
    later = Issued(t + 20 * day, t + 34 * day, None)
    a = payment_details_asks.asks([used, later], t + 21 * day)
    assert (a.count, a.works_until, a.last_sent) == (1, t + 34 * day, t + 20 * day)
    assert payment_details_asks.next_step(a, 3) == "wait"
    a = payment_details_asks.asks([used, later], t + 40 * day)
    assert a.works_until is None and payment_details_asks.next_step(a, 3) == "ask"
    assert payment_details_asks.next_step(a, 1) == "tell"
    assert payment_details_asks.asks([], t).count == 0
    assert payment_details_asks.next_step(payment_details_asks.asks([], t), 3) == "ask"
