"""Render an email from templates/email/NAME.{subject,txt,html}.j2 and build the MIME message.

One `render` function, as the FastAPI template does. Subjects always carry the reference.
"""
from __future__ import annotations

from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import formataddr, formatdate, parseaddr
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


@lru_cache(maxsize=256)
def _template(name: str):
    """Compiled once per process: templates ship with the code, so no per-email mtime check."""
    return _env().get_template(name)


def render(template: str, context: dict[str, Any]) -> tuple[str, str, str]:
    """(subject, plain text, html) for `template` with `context`."""
    subject = _template(f"{template}.subject.j2").render(**context).strip()
    text = _template(f"{template}.txt.j2").render(**context)
    html = _template(f"{template}.html.j2").render(**context)
    return " ".join(subject.split()), text, html


_UTF8_QP = Charset("utf-8")
_UTF8_QP.body_encoding = QP  # readable, 7-bit safe bodies (as EmailMessage.set_content picks for text)


def _header(value: str, address: bool = False):
    if value.isascii():
        return value
    if address:
        return formataddr(parseaddr(value), charset="utf-8")
    return Header(value, "utf-8")


def build_message(*, template: str, context: dict[str, Any], to: str, sender: str, outbox_id: int,
                  domain: str = "involve.local") -> Message:
    """multipart/alternative (plain text, then HTML), UTF-8 quoted-printable. Built with the compat32
    MIME classes: the same message as EmailMessage.set_content/add_alternative make, at well under
    half the cost (the outbox builds one per email)."""
    subject, text, html = render(template, context)
    msg = MIMEMultipart("alternative")
    msg["From"] = _header(sender, address=True)
    msg["To"] = _header(to, address=True)
    msg["Subject"] = _header(subject)
    msg["Date"] = formatdate(localtime=False)
    # one Message-ID per outbox row: a resend after a crash is recognisable as the same email
    msg["Message-ID"] = f"<outbox-{outbox_id}@{domain}>"
    msg["X-Involve-Reference"] = _header(context.get("reference", ""))
    msg.attach(MIMEText(text, "plain", _UTF8_QP))
    msg.attach(MIMEText(html, "html", _UTF8_QP))
    return msg
