"""Render an email from templates/email/NAME.{subject,txt,html}.j2 and build the MIME message.

One `render` function, as the FastAPI template does. Subjects always carry the reference.
"""
from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from involve.settings import PROJECT_ROOT

TEMPLATES = PROJECT_ROOT / "templates" / "email"

FLAG_TEXT = {
    "late": "sent in more than the claim deadline after the activity",
    "receipt_missing": "an expense over the receipt limit has no receipt",
    "duplicate_suspected": "another claim by the same person overlaps this date and time",
    "benefits_limit": "the fee would take this person over the weekly earnings limit they told us about",
    "second_approval": "the total is over the limit for one approver, so a second approver must also approve",
    "not_in_register": "the person is not yet in the involvement register",
}

KIND_TEXT = {
    "meeting": "meeting", "interview_panel": "interview panel", "consultation": "consultation or monitoring work",
    "training_delivery": "delivering training to staff", "training_received": "training", "other": "activity",
}


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                      autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
                      trim_blocks=True, lstrip_blocks=True)
    env.globals.update(FLAG_TEXT=FLAG_TEXT, KIND_TEXT=KIND_TEXT)
    return env


def render(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, plain text, html) for `template` with `context`."""
    env = _env()
    subject = env.get_template(f"{template}.subject.j2").render(**context).strip()
    text = env.get_template(f"{template}.txt.j2").render(**context)
    html = env.get_template(f"{template}.html.j2").render(**context)
    return " ".join(subject.split()), text, html


def build_message(*, template: str, context: dict[str, Any], to: str, sender: str, outbox_id: int,
                  domain: str = "involve.local") -> EmailMessage:
    subject, text, html = render(template, context)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=False)
    # one Message-ID per outbox row: a resend after a crash is recognisable as the same email
    msg["Message-ID"] = f"<outbox-{outbox_id}@{domain}>"
    msg["X-Involve-Reference"] = context.get("reference", "")
    msg.set_content(text)
    msg.add_alternative(html, subtype="html")
    return msg
