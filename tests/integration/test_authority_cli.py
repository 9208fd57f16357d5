"""The authority model through the command line: role x action for every staff-side command, nobody acts
without --by, approver never payer, several approvals at once, role changes audited and emailed."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from involve.cli.main import app
from involve.db import reader, unit_of_work
from involve.services import processing
from involve.services.people import add_person, add_staff
from models import AuditRecord, Claim
from tests.integration.test_lifecycle import get, outbox, submit

ADMIN, COORD, LEAD, FIN, HR, PPI = ("admin@example.nhs.uk", "coord@example.nhs.uk", "lead.havering@example.nhs.uk",
                                    "fin@example.nhs.uk", "hr@example.nhs.uk", "ppi@example.nhs.uk")
ROLE_OF = {ADMIN: "admin", COORD: "coordinator", LEAD: "lead", FIN: "finance", HR: "hr", PPI: "ppi_lead"}
NOBODY = "nobody@example.nhs.uk"


def cli(*args: str):
    return CliRunner().invoke(app, list(args))


def staff_everyone() -> None:
    with unit_of_work() as s:
        for email, role in ROLE_OF.items():
            add_staff(s, email=email, name=role.title(), roles=[role])
        add_person(s, email="sam.okafor@example.org", name="Sam Okafor", borough="havering")


def test_init_makes_the_first_admin_once(db):
    r = cli("init", "--admin", ADMIN, "--name", "First Admin")
    assert r.exit_code == 0, r.output
    r = cli("init", "--admin", "second@example.nhs.uk")
    assert r.exit_code == 2 and "staff already exist" in r.output
    r = cli("staff", "list", "--json")
    assert json.loads(r.stdout) == [{"email": ADMIN, "name": "First Admin", "roles": ["admin"], "active": True,
                                     "away": False, "away_from": None, "away_to": None, "delegate": None}]


# (command builder, the roles that may run it); `who` is the acting address
COMMANDS = {
    "staff add": (lambda who, n: ["staff", "add", "--email", f"new{n}@example.nhs.uk", "--name", "New",
                                  "--role", "hr", "--by", who], {"admin"}),
    "staff remove-role": (lambda who, n: ["staff", "remove-role", "--email", f"t{n}@example.nhs.uk",
                                          "--role", "hr", "--by", who], {"admin"}),
    "staff deactivate": (lambda who, n: ["staff", "deactivate", "--email", f"t{n}@example.nhs.uk", "--by", who],
                         {"admin"}),
    "staff away (someone else)": (lambda who, n: ["staff", "away", "--email", f"t{n}@example.nhs.uk",
                                                  "--from", "2030-01-01", "--to", "2030-01-05", "--by", who],
                                  {"admin", "coordinator"}),
    "register add": (lambda who, n: ["register", "add", "--email", f"p{n}@example.org", "--name", "P", "--by", who],
                     {"admin", "coordinator", "ppi_lead"}),
    "register deactivate": (lambda who, n: ["register", "deactivate", f"q{n}@example.org", "--by", who],
                            {"admin", "coordinator", "ppi_lead"}),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_role_by_action_matrix_for_commands(db, command):
    staff_everyone()
    build, allowed = COMMANDS[command]
    with unit_of_work() as s:
        for n in range(len(ROLE_OF) + 2):
            add_staff(s, email=f"t{n}@example.nhs.uk", name="Target", roles=["hr"])
            add_person(s, email=f"q{n}@example.org", name="Q")
    for n, who in enumerate([*ROLE_OF, NOBODY]):
        r = cli(*build(who, n))
        expected = 0 if ROLE_OF.get(who) in allowed else 2
        assert r.exit_code == expected, (command, who, r.output)
        if expected == 2:
            assert len(r.output.strip().splitlines()) == 1, r.output
    # nobody acts without --by
    args = build(ADMIN, len(ROLE_OF) + 1)
    r = cli(*args[:args.index("--by")])
    assert r.exit_code == 2 and "--by" in r.output, r.output


def test_finance_cannot_grant_itself_or_change_the_register(db):
    staff_everyone()
    assert cli("staff", "add", "--email", FIN, "--name", "Fin", "--role", "coordinator", "--by", FIN).exit_code == 2
    assert cli("staff", "add", "--email", FIN, "--name", "Fin", "--role", "admin", "--by", FIN).exit_code == 2
    r = cli("register", "add", "--email", "x@example.org", "--name", "X", "--by", FIN)
    assert r.exit_code == 2 and "cannot change the register" in r.output
    with reader() as s:
        roles = {a.data.get("roles", [None])[0] for a in s.query(AuditRecord).filter_by(entity="staff")}
    assert roles == {"admin", "coordinator", "lead", "finance", "hr", "ppi_lead"}  # only the set-up


def test_role_changes_are_audited_and_emailed_to_every_admin(db):
    staff_everyone()
    with unit_of_work() as s:
        add_staff(s, email="admin2@example.nhs.uk", name="Admin Two", roles=["admin"])
    assert cli("staff", "add", "--email", HR, "--name", "HR", "--role", "coordinator", "--by", ADMIN).exit_code == 0
    assert cli("staff", "remove-role", "--email", HR, "--role", "hr", "--by", ADMIN).exit_code == 0
    mails = outbox("staff_roles_changed")
    assert sorted(m.to_addr for m in mails) == sorted([ADMIN, "admin2@example.nhs.uk"] * 2)
    assert {m.context["change"] for m in mails} == {"roles given: coordinator", "role removed: hr"}
    with reader() as s:
        actions = [(a.action, a.actor) for a in s.query(AuditRecord).filter_by(entity="staff", reference=HR)]
    assert actions[-2:] == [("update", ADMIN), ("remove_role", ADMIN)]
    # the last admin cannot remove their own admin role, nor be deactivated
    assert cli("staff", "deactivate", "--email", "admin2@example.nhs.uk", "--by", ADMIN).exit_code == 0
    r = cli("staff", "remove-role", "--email", ADMIN, "--role", "admin", "--by", ADMIN)
    assert r.exit_code == 2 and "only admin" in r.output


def _approved_claim(example_claim, delivery: str) -> str:
    ref = submit(example_claim, delivery).reference
    processing.process_batch()
    return ref


def test_nobody_holds_approve_and_pay_for_the_same_claim(db, example_claim):
    staff_everyone()
    with unit_of_work() as s:  # an admin who is also a co-ordinator and finance
        add_staff(s, email=ADMIN, name="Admin", roles=["admin", "coordinator", "finance"])
    ref = _approved_claim(example_claim, "d1")
    assert cli("claims", "approve", ref, "--by", ADMIN).exit_code == 0
    r = cli("claims", "pay", ref, "--by", ADMIN)
    assert r.exit_code == 2 and "someone else in finance" in r.output
    # a co-ordinator who approved a claim not yet paid cannot be given finance
    other = example_claim | {"claimant": example_claim["claimant"] | {"email": "pat@example.org"}}
    ref2 = _approved_claim(other, "d2")
    assert cli("claims", "approve", ref2, "--by", COORD).exit_code == 0
    r = cli("staff", "add", "--email", COORD, "--name", "Coord", "--role", "finance", "--by", ADMIN)
    assert r.exit_code == 2 and ref2 in r.output and "nobody pays what they approved" in r.output
    assert cli("claims", "pay", ref2, "--by", FIN).exit_code == 0
    r = cli("staff", "add", "--email", COORD, "--name", "Coord", "--role", "finance", "--by", ADMIN)
    assert r.exit_code == 0, r.output


def test_approve_several_at_once_each_checked_on_its_own(db, example_claim):
    staff_everyone()
    refs = []
    for n in range(3):
        c = json.loads(json.dumps(example_claim))
        c["claimant"]["email"] = f"p{n}@example.org"
        refs.append(submit(c, f"m{n}").reference)
    processing.process_batch()
    with unit_of_work() as s:  # one is the co-ordinator's own claim: refused, the others still approved
        s.query(Claim).filter_by(reference=refs[1]).update({"claimant_email": COORD})
    r = cli("claims", "approve", refs[0], refs[1], refs[2], "CLM-NOPE", "--by", COORD)
    assert r.exit_code == 2
    assert [get(x).status for x in refs] == ["approved", "awaiting_approval", "approved"]
    assert f"{refs[0]} approved" in r.stdout and f"{refs[2]} approved" in r.stdout
    assert f"{refs[1]} refused" in r.stderr and "CLM-NOPE refused" in r.stderr
    r = cli("claims", "approve", refs[1], refs[0], "--by", LEAD, "--json")
    assert r.exit_code == 2
    assert [(x["reference"], x["approved"]) for x in json.loads(r.stdout)] == [(refs[1], True), (refs[0], False)]
