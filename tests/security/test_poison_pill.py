"""Issue 18, item 7: a claim that cannot be processed is set aside on its own, with a reason,
visible and alerted; the rest of the batch flows on. With no approver at all, never silent."""
from __future__ import annotations

import copy
import json
from datetime import date

from sqlalchemy import select, update
from typer.testing import CliRunner

from involve.cli.main import app as cli
from involve.db import reader, unit_of_work
from involve.services import processing
from involve.services.people import add_staff
from models import AuditRecord, Claim
from tests.integration.test_lifecycle import COORD, get, outbox, setup_people, submit


def _two_claims(example_claim) -> tuple[str, str]:
    good, bad = copy.deepcopy(example_claim), copy.deepcopy(example_claim)
    bad["claimant"]["email"] = "someone.else@example.org"
    good_ref, bad_ref = submit(good, "g").reference, submit(bad, "b").reference
    with unit_of_work() as s:  # e.g. data loaded from elsewhere, or a policy file replaced at a restart
        s.execute(update(Claim).where(Claim.reference == bad_ref).values(activity_date=date(1990, 1, 1)))
    return good_ref, bad_ref


def test_a_claim_no_policy_period_covers_is_set_aside_and_the_batch_flows_on(db, example_claim):
    setup_people()
    good, bad = _two_claims(example_claim)
    assert processing.process_batch() == [good]
    assert get(good).status == "awaiting_approval"
    held = get(bad)
    assert held.status == "submitted" and "cannot_process" in held.flags
    assert "1990-01-01" in held.hold_reason
    alerts = outbox("claim_set_aside")
    assert [m.to_addr for m in alerts] == [COORD, "finance2@example.nhs.uk"]
    assert processing.process_batch() == []  # never taken again: no poison pill
    with reader() as s:
        actions = [r.action for r in s.execute(select(AuditRecord).where(AuditRecord.reference == bad)).scalars()]
    assert actions == ["submit", "set_aside"]
    runner = CliRunner()
    shown = json.loads(runner.invoke(cli, ["claims", "show", bad, "--json"]).stdout)
    assert shown["hold_reason"] == held.hold_reason and "cannot_process" in shown["flags"]
    listed = {c["reference"]: c for c in json.loads(runner.invoke(cli, ["claims", "list", "--json"]).stdout)}
    assert "cannot_process" in listed[bad]["flags"] and listed[bad]["hold_reason"]
    released = runner.invoke(cli, ["claims", "release", bad, "--by", COORD])
    assert released.exit_code == 0, released.stderr
    assert processing.process_batch() == [] and "cannot_process" in get(bad).flags  # still no period: again


def test_with_no_approver_at_all_the_claim_is_flagged_and_someone_told(db, example_claim):
    claim = copy.deepcopy(example_claim)
    claim["activity"].pop("lead_email", None)
    with unit_of_work() as s:
        add_staff(s, email="ppi@example.nhs.uk", name="PPI", roles=["ppi_lead"])
    ref = submit(claim).reference
    assert processing.process_batch() == [ref]
    assert "no_approver" in get(ref).flags
    assert [m.to_addr for m in outbox("claim_no_approver")] == ["ppi@example.nhs.uk"]


def test_control_characters_never_reach_the_terminal(db, example_claim):
    ref = submit(copy.deepcopy(example_claim)).reference
    with unit_of_work() as s:  # stored before the text policy
        s.execute(update(Claim).where(Claim.reference == ref).values(claimant_name="Sam\x1b[2J\x07\u202eOkafor"))
    shown = CliRunner().invoke(cli, ["claims", "show", ref]).stdout
    assert "\x1b" not in shown and "\x07" not in shown and "\u202e" not in shown and "Sam[2JOkafor" in shown


def test_one_recruitment_that_fails_never_stops_the_others(db, monkeypatch):
    from involve.services import recruitment_panel
    from tests.integration.test_recruitment import at, panel, setup_register, start

    setup_register()
    now = at(-10, monkeypatch)
    first = start(now, panel_size=1)
    second = start(now, panel_size=1, title="Band 7 Psychologist", staff_group="psychologist",
                   borough="redbridge", service=None)
    real = recruitment_panel.advance

    def advance(session, rec, r, when):
        if rec.reference == first:
            raise ValueError("a broken row")
        return real(session, rec, r, when)

    monkeypatch.setattr(recruitment_panel, "advance", advance)
    totals = recruitment_panel.advance_due()
    assert totals["set_aside"] == 1 and totals["recruitments"] == 1
    assert panel(second) and not panel(first)
    with reader() as s:
        reasons = [r.reason for r in s.execute(select(AuditRecord).where(AuditRecord.reference == first,
                                                                          AuditRecord.action == "set_aside"))
                   .scalars()]
    assert reasons and "a broken row" in reasons[0]
    assert recruitment_panel.advance_due().get("set_aside", 0) == 0  # looked at again later, not in a loop


def test_dev_generate_only_makes_data_the_policy_in_use_covers(db):
    from sqlalchemy import func

    from involve.domain.policy import load_policy
    from involve.reports.generate import generate

    generate(300, seed=4, first_year=2019)
    with reader() as s:
        first = s.execute(select(func.min(Claim.activity_date))).scalar_one()
    assert first >= load_policy().periods[0].effective_from
    while processing.process_batch():
        pass
    with reader() as s:
        held = s.execute(select(func.count()).select_from(Claim).where(Claim.hold_reason.is_not(None))).scalar_one()
    assert held == 0
