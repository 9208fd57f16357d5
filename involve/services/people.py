"""Staff and the involvement register: adding people and roles; applying the approval rules
(involve/domain/approval.py) to a member of staff."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from involve import audit
from involve.domain import languages
from involve.domain.approval import Actor, ClaimFacts, may
from involve.domain.claim_schema import BOROUGHS
from involve.domain.emails import InvalidEmail, address_key, canonical_email
from involve.domain.register_fields import FORMATS
from involve.domain.text import NAME_MAX, bad_character, printable
from involve.errors import AlreadyPaid, InvalidClaim, InvolveError, NotAllowed, WrongState
from models import Person, Staff
from models.people import ROLES


def normalise_email(value: str) -> str:
    """The canonical address (involve.domain.emails), or InvolveError naming the problem. Staff and
    register addresses are whatever the organisation uses, so an internal host (finance@localhost, as
    in the README) is accepted here; claimant addresses keep the stricter rule."""
    try:
        return canonical_email(value, internal=True)
    except InvalidEmail as exc:
        shown = printable(value)[:80] if isinstance(value, str) else type(value).__name__
        raise InvolveError(f"not an email address: {shown!r} {exc}") from None


def check_name(name: str) -> str:
    """A person's or staff member's name under the one text policy (one line, fits its column)."""
    name = (name or "").strip()
    if not name:
        raise InvolveError("a name is required")
    if problem := bad_character(name):
        raise InvolveError(f"the name {problem}")
    if len(name) > NAME_MAX:
        raise InvolveError(f"the name is too long (at most {NAME_MAX} characters)")
    return name


def staff_by_email(session: Session) -> dict[str, Staff]:
    """Active staff keyed by their canonical address."""
    return {address_key(s.email): s for s in session.execute(select(Staff).where(Staff.active.is_(True))).scalars()}


def require_staff(session: Session, email: str, *roles: str, doing: str) -> Staff:
    """The active staff member `email` holding one of `roles`, or NotAllowed."""
    email = normalise_email(email)
    member = session.execute(select(Staff).where(Staff.email == email)).scalar_one_or_none()
    if member is None or not member.active:
        raise NotAllowed(f"{email} is not registered as staff, so cannot {doing}")
    if roles and not member.has_role(*roles):
        raise NotAllowed(f"{email} cannot {doing}: that needs the role {' or '.join(roles)}")
    return member


def staff_roles(session: Session) -> dict[str, frozenset[str]]:
    """Active staff as the approval rules see them (involve/domain/approval.py): email -> roles."""
    return {e: frozenset(m.roles or ()) for e, m in staff_by_email(session).items()}


def actor(session: Session, email: str) -> Actor:
    """The approval rules' view of a member of staff (an inactive or unknown address holds no role)."""
    email = normalise_email(email)
    member = session.execute(select(Staff).where(Staff.email == email)).scalar_one_or_none()
    if member is None:
        return Actor(email, frozenset(), active=False)
    return Actor(email, frozenset(member.roles or ()), active=bool(member.active))


def check(session: Session, action: str, claim, by: str) -> tuple[str, str]:
    """Apply `involve.domain.approval.may`: the acting member of staff, or the refusal as an error
    (WrongState / AlreadyPaid when the claim's status forbids it, NotAllowed when the person may not).
    Returns (the actor's canonical email, the transition-table action to apply)."""
    who = actor(session, by)
    decision = may(who, action, ClaimFacts.of(claim))
    if not decision:
        if decision.wrong_state:
            if action == "pay" and claim.status == "paid":
                raise AlreadyPaid(f"{claim.reference} is already paid; a claim is paid once")
            raise WrongState(decision.reason)
        raise NotAllowed(decision.reason)
    return who.email, decision.transition


def add_staff(session: Session, *, email: str, name: str, roles: list[str], by: str | None = None) -> Staff:
    email = normalise_email(email)
    bad = [r for r in roles if r not in ROLES]
    if bad or not roles:
        raise InvolveError(f"unknown role {bad[0] if bad else '(none given)'}: choose from {', '.join(ROLES)}")
    name = check_name(name)
    member = session.execute(select(Staff).where(Staff.email == email)).scalar_one_or_none()
    if member is None:
        member = Staff(email=email, name=name.strip(), roles=sorted(set(roles)), active=True)
        session.add(member)
        action = "add"
    else:
        member.name, member.roles, member.active = name.strip(), sorted(set(member.roles or []) | set(roles)), True
        action = "update"
    session.flush()
    audit.record(session, [audit.Change("staff", email, action, by or audit.SYSTEM,
                                        data={"roles": member.roles})])
    return member


def register_format(value: str) -> str:
    """How a person wants us to write (involve/domain/register_fields.py FORMATS): `large print` -> large_print."""
    v = (value or "").strip().lower().replace("-", "_").replace(" ", "_")
    if v not in FORMATS:
        raise ValueError(f"must be one of {', '.join(FORMATS)}")
    return v


def _checked(name: str, parse, value: str | None) -> str | None:
    try:
        return parse(value) if value else None
    except ValueError as exc:
        raise InvolveError(f"the {name} {exc}") from None


def add_person(session: Session, *, email: str, name: str, borough: str | None = None,
               weekly_earnings_limit: Decimal | None = None, recruitment_consent: bool = False,
               panel_trained_on: date | None = None, unavailable: list[date] | None = None,
               conflicts: list[str] | None = None, carer: bool | None = None, by: str | None = None,
               language: str | None = None, reading_format: str | None = None, **diversity) -> Person:
    email = normalise_email(email)
    language = _checked("language", languages.language_tag, language)
    reading_format = _checked("format", register_format, reading_format)
    if borough is not None and borough not in BOROUGHS:
        raise InvalidClaim([{"field": "borough", "message": f"must be one of {', '.join(BOROUGHS)}"}])
    if weekly_earnings_limit is not None and weekly_earnings_limit < 0:
        raise InvolveError("the weekly earnings limit cannot be negative")
    name = check_name(name)
    person = session.execute(select(Person).where(Person.email == email)).scalar_one_or_none()
    fields = {"name": name.strip(), "borough": borough, "weekly_earnings_limit": weekly_earnings_limit,
              "recruitment_consent": recruitment_consent, "panel_trained_on": panel_trained_on,
              "unavailable": sorted({d.isoformat() for d in (unavailable or [])}),
              "conflicts": list(conflicts or []), "language": language,
              "preferred_format": reading_format,
              **{k: v for k, v in diversity.items() if v is not None}}
    if carer is not None:
        fields["carer"] = carer
    if person is None:
        person = Person(email=email, active=True, **fields)
        session.add(person)
        action = "add"
    else:
        for k, v in fields.items():
            if v not in (None, [], False) or k in ("recruitment_consent", "carer"):
                setattr(person, k, v)
        action = "update"
    session.flush()
    audit.record(session, [audit.Change("register", f"PER-{person.id}", action, by or audit.SYSTEM)])
    return person


def preferences_for(session: Session, email: str | None, claim=None) -> dict[str, str | None]:
    """How to write to a person: the language and format in their register entry (what they chose on
    their own page, or a co-ordinator recorded) when there is one, else those given with `claim`.
    Keyword arguments for `email_row`."""
    language, fmt = (claim.claimant_language, claim.claimant_format) if claim is not None else (None, None)
    if email:
        row = session.execute(select(Person.language, Person.preferred_format)
                              .where(Person.email == normalise_email(email))).first()
        if row is not None:
            language, fmt = row.language or language, row.preferred_format or fmt
    return {"language": language, "reading_format": fmt}


def preferences(session: Session, claim) -> dict[str, str | None]:
    """How to write to a claim's claimant: their register entry's language and format, else the claim's."""
    return preferences_for(session, claim.claimant_email, claim)


def language_of(session: Session, email: str | None) -> str | None:
    """The language a register person asked us to write in (None: not in the register, or not given)."""
    if not email:
        return None
    return session.execute(select(Person.language).where(Person.email == normalise_email(email))).scalar()
