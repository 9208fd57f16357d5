"""Render an email from templates/email/NAME.{subject,txt,html}.j2 and build the MIME message.

One `render` function, taking the language: every string in the templates goes through gettext
(`_()` / `ngettext()`), dates, numbers and money through Babel (`| day`, `| money`). A person's email
is queued with `language` and `format` (standard, large_print, easy_read) in its context; a template
variant NAME.easy_read.txt.j2 (…) is used when it exists. Subjects always carry the reference.
"""
from __future__ import annotations

import binascii
import re
import secrets
from dataclasses import dataclass
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr
from functools import lru_cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, TemplateNotFound, pass_context, select_autoescape
from markupsafe import Markup, escape

from involve import i18n
from involve.i18n import N_
from involve.mail.styles import styles
from involve.settings import PROJECT_ROOT

TEMPLATES = PROJECT_ROOT / "templates" / "email"

FLAG_TEXT = {
    "late": N_("sent in more than the claim deadline after the activity"),
    "receipt_missing": N_("an expense over the receipt limit has no receipt"),
    "duplicate_suspected": N_("another claim by the same person overlaps this date and time"),
    "benefits_limit": N_("the fee would take this person over the weekly earnings limit they told us about"),
    "second_approval": N_("the total is over the limit for one approver, so a second approver must also approve"),
    "not_in_register": N_("the person is not yet in the involvement register"),
    "cannot_process": N_("it could not be processed and was set aside"),
    "no_approver": N_("nobody is registered who may approve it (no activity lead or co-ordinator)"),
}

KIND_TEXT = {
    "meeting": N_("meeting"), "interview_panel": N_("interview panel"),
    "consultation": N_("consultation or monitoring work"),
    "training_delivery": N_("delivering training to staff"), "training_received": N_("training"),
    "forum_meeting": N_("user forum meeting"), "ward_visit": N_("ward visit"), "survey": N_("survey"),
    "cpa_audit": N_("care plan (CPA) audit"), "staff_training": N_("helping train staff"),
    "governance": N_("governance meeting"), "other": N_("activity"),
}


def _strong(value) -> Markup:
    """A value in bold inside a translated HTML sentence: `_("… %(ref)s.", ref=reference | strong)`;
    left to right (references, amounts, dates in digits) even inside a right-to-left sentence."""
    return Markup('<strong dir="ltr">%s</strong>') % escape(value)


_LINE_BREAKS = re.compile(r"\r\n|[\r\n\u2028\u2029\x85\x0b\x0c]")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# either of the two above (most values hold neither: one search instead of two substitutions)
_EITHER = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def user_text(value: Any) -> Any:
    """Every `{{ value }}` in an email passes through here (Jinja `finalize`): control and bidi
    characters are removed and each line break inside a value is followed by "> " (a quoted line),
    so text from a form can never start a line of its own, even after blanks - never a forged
    `Approve: <url>` line above the real one. Template text itself (the real link lines) is not
    touched; templates never open a line with a value (a value that starts a line is quoted too)."""
    if not isinstance(value, str) or isinstance(value, Markup) or _EITHER.search(value) is None:
        return value
    return _LINE_BREAKS.sub("\n> ", _CONTROL.sub("", value))


def _fill(context, text: str, values: dict[str, Any]) -> str:
    """A translated sentence with its values: each value cleaned as `user_text` cleans `{{ value }}`
    (also in the HTML part, where the sentence is markup and finalize does not see inside it)."""
    if context.eval_ctx.autoescape:
        text = Markup(text)
    if not values and "%" not in text:  # a sentence with no values (most): nothing to fill in
        return text
    return text % {k: user_text(v) for k, v in values.items()}


@pass_context
def _gettext(context, message: str, **values: Any) -> str:
    return _fill(context, i18n.gettext(message), values)


@pass_context
def _ngettext(context, singular: str, plural: str, num: int, **values: Any) -> str:
    return _fill(context, i18n.ngettext(singular, plural, num), {"num": num, **values})


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), undefined=StrictUndefined,
                      autoescape=select_autoescape(enabled_extensions=("html.j2",), default=False),
                      trim_blocks=True, lstrip_blocks=True, finalize=user_text)
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
    env.globals.update(_=_gettext, gettext=_gettext, ngettext=_ngettext)  # values cleaned as {{ value }} is
    env.filters.update(day=i18n.format_day, month=i18n.format_month, money=i18n.format_money,
                       number=i18n.format_number, strong=_strong)
    env.globals.update(FLAG_TEXT=FLAG_TEXT, KIND_TEXT=KIND_TEXT, EXPENSE_TEXT=EXPENSE_TEXT)
    env.filters["date_words"] = i18n.format_day
    return env


EXPENSE_TEXT = {"public_transport": "Bus, train or tube fares", "mileage": "Mileage", "taxi": "Taxi",
                "parking": "Parking", "carer": "Paying a carer", "childcare": "Childcare",
                "subsistence": "Food and drink", "support": "Support, like an interpreter", "other": "Other costs"}


def date_words(value) -> str:
    """"2026-11-30" (or a date) -> "30 November 2026"; anything else unchanged."""
    from datetime import date

    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return value
    if isinstance(value, date):
        return f"{value.day} {value:%B %Y}"
    return "" if value is None else str(value)


DEFAULT_CONTACT_NAME = "Service User and Carer Involvement Co-ordinator"


def contact() -> dict[str, str | None]:
    """Who people contact (INVOLVE_CONTACT_*): every claimant email and page carries it. The default
    name is translated like any text (N_ marks it for the catalogues); a name set by the trust is used
    as given."""
    from involve.settings import settings

    name = settings.contact_name
    if name == DEFAULT_CONTACT_NAME:
        name = i18n.gettext(N_("Service User and Carer Involvement Co-ordinator"))
    return {"name": name, "email": settings.contact_email, "phone": settings.contact_phone}


@lru_cache(maxsize=256)
def _template(name: str):
    """Compiled once per process: templates ship with the code, so no per-email mtime check."""
    return _env().get_template(name)


def _variant(template: str, part: str, reading_format: str):
    """NAME.easy_read.txt.j2 for a person who asked for Easy Read, when there is one; else NAME.txt.j2."""
    if reading_format in i18n.FORMATS and reading_format != "standard":
        try:
            return _template(f"{template}.{reading_format}.{part}")
        except TemplateNotFound:
            pass
    return _template(f"{template}.{part}")


def email_language(context: dict[str, Any]) -> str:
    """The language an email is written in: a person's (`language` in its context) if offered, else
    INVOLVE_LANGUAGE; an email to staff (no `language` key) stays English."""
    if "language" not in context:
        return i18n.SOURCE
    return i18n.normalise(context["language"]) or i18n.default()


def render(template: str, context: dict[str, Any], locale: str | None = None) -> tuple[str, str, str]:
    """(subject, plain text, html) for `template` with `context`, in `locale` (default: the context's
    `language`, else the default language) and the person's reading `format`."""
    fmt = str(context.get("format") or "standard")
    with i18n.use(locale or email_language(context)) as code:
        direction = i18n.direction(code)
        values = dict({"contact": contact(), **context}, language=code, direction=direction, format=fmt,
                      css=styles(fmt, direction))
        subject = _variant(template, "subject.j2", fmt).render(**values).strip()
        text = _variant(template, "txt.j2", fmt).render(**values)
        html = _variant(template, "html.j2", fmt).render(**values)
    return " ".join(subject.split()), text, html


def _header(value: str, address: bool = False) -> str:
    """A header value as 7-bit text: RFC 2047 words for non-ASCII (or long) values, folded."""
    if value.isascii() and (address or len(value) <= 70):
        return value
    if address:
        return formataddr(parseaddr(value), charset="utf-8")
    return Header(value, "us-ascii" if value.isascii() else "utf-8", maxlinelen=76).encode()


def _qp(text: str) -> str:
    return binascii.b2a_qp(text.encode("utf-8"), istext=True).decode("ascii")


@dataclass(frozen=True)
class BuiltEmail:
    """An email ready for SMTP: its envelope, its headers and its wire bytes (7-bit; line ends
    are made CRLF by the SMTP client). `msg["Subject"]` reads a header as the text it encodes."""

    sender: str
    to: str
    headers: dict[str, str]
    raw: bytes

    def __getitem__(self, name: str) -> str | None:
        return self.headers.get(name)

    def as_bytes(self) -> bytes:
        return self.raw


def message_id(outbox_id: int, sender: str) -> str:
    """One Message-ID per outbox row (a resend after a crash is recognisable as the same email), unique
    across installations: the installation's random id, at the sender's mail domain."""
    from involve.settings import settings

    return f"<outbox-{outbox_id}.{settings.installation_id}@{_mail_domain(sender)}>"


@lru_cache(maxsize=16)
def _mail_domain(sender: str) -> str:
    """The sender's domain as ASCII (the sender is one setting: parsed once, not per email)."""
    domain = parseaddr(sender)[1].rpartition("@")[2]
    try:
        return domain.encode("idna").decode("ascii") if domain else "involve.invalid"
    except UnicodeError:
        return "involve.invalid"


def build_message(*, template: str, context: dict[str, Any], to: str, sender: str, outbox_id: int) -> BuiltEmail:
    """multipart/alternative: the plain text, then the HTML, each UTF-8 quoted-printable.

    Written straight to bytes (the outbox builds one per email): about a tenth of the cost of
    EmailMessage.set_content/add_alternative plus flattening, for the same MIME structure."""
    subject, text, html = render(template, context)
    headers = {"From": sender, "To": to, "Subject": subject, "Date": formatdate(localtime=False),
               "Message-ID": message_id(outbox_id, sender),
               "X-Involve-Reference": str(context.get("reference", "")),
               "Content-Language": email_language(context)}
    boundary = f"=============={secrets.token_hex(12)}=="
    lines = [f"{name}: {_header(value, address=name in ('From', 'To'))}" for name, value in headers.items()]
    lines += ["MIME-Version: 1.0", f'Content-Type: multipart/alternative; boundary="{boundary}"', ""]
    for subtype, body in (("plain", text), ("html", html)):
        lines += [f"--{boundary}", f'Content-Type: text/{subtype}; charset="utf-8"',
                  "Content-Transfer-Encoding: quoted-printable", "", _qp(body)]
    lines += [f"--{boundary}--", ""]
    return BuiltEmail(sender=sender, to=to, headers=headers, raw="\n".join(lines).encode("ascii"))
