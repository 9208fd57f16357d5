"""The `involve` command line (Typer + Rich): the root only.

Each command group lives in its own module of this package (`involve/cli/<group>.py`, its Typer app
named `<group>_app`); shared helpers (one-line refusals, --json, --by, parsing) are in
`involve/cli/common.py`. To add a group: write its module, then add one line to GROUPS below.
"""
from __future__ import annotations

import typer

from involve.cli.activity import activity_app
from involve.cli.audit import audit_app
from involve.cli.budget import budget_app
from involve.cli.claims import claims_app
from involve.cli.common import Commands
from involve.cli.db import db_app, serve
from involve.cli.flows import flows_app
from involve.cli.forum import forum_app
from involve.cli.getting_started import info, send_example
from involve.cli.init import init
from involve.cli.keys import keys_app
from involve.cli.payments import payments_app
from involve.cli.payroll import payroll_app
from involve.cli.plan import plan_app
from involve.cli.recruitment import recruitment_app, training_app
from involve.cli.register import register_app
from involve.cli.report import dev_app, report_app
from involve.cli.retention import retention_app
from involve.cli.staff import staff_app
from involve.cli.statement import statement
from involve.cli.support import buddy_app, support_app, unmet_need_app
from involve.cli.worker import worker

app = typer.Typer(cls=Commands, no_args_is_help=True, add_completion=False,
                  help="Payment claims and involvement workflows.")

GROUPS = {
    "db": db_app, "staff": staff_app, "register": register_app, "claims": claims_app, "payments": payments_app,
    "audit": audit_app, "report": report_app, "dev": dev_app, "recruitment": recruitment_app,
    "training": training_app, "keys": keys_app, "retention": retention_app, "flows": flows_app,
    "payroll": payroll_app, "budget": budget_app,
    "plan": plan_app, "activity": activity_app, "forum": forum_app, "unmet-need": unmet_need_app,
    "buddy": buddy_app, "support": support_app,
}
for _name, _group in GROUPS.items():
    app.add_typer(_group, name=_name)

app.command("init")(init)
app.command("serve")(serve)
app.command("worker")(worker)
app.command("info")(info)
app.command("send-example")(send_example)
app.command("statement")(statement)


def main() -> None:  # pragma: no cover
    app()
