"""Reading the involvement register: lists with search and filters, one person with their involvement
history, the CSV export. Never bank details (they live on claims and the payee record, encrypted); the
person's own page sees only their masked form (`own_payment_details`)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select, tuple_

from involve import crypto
from involve.db import reader
from involve.domain.bank import mask_ni_number
from involve.domain.diversity import categories_of
from involve.errors import NotFound
from models import Claim, PanelMember, Payee, Person, Recruitment

FIELDS = ("reference", "email", "name", "borough", "active", "carer", "role", "recruitment_consent",
          "panel_trained_on", "unavailable", "age_band", "ethnic_group", "gender", "disability", "religion",
          "sexual_orientation", "access_needs", "availability_note", "preferred_format", "language",
          "mapping_categories")


def person_dict(p: Person) -> dict:
    return {"reference": f"PER-{p.id}", "email": p.email, "name": p.name, "borough": p.borough,
            "active": bool(p.active), "carer": bool(p.carer), "role": "carer" if p.carer else "service_user",
            "recruitment_consent": bool(p.recruitment_consent),
            "panel_trained_on": p.panel_trained_on.isoformat() if p.panel_trained_on else None,
            "unavailable": list(p.unavailable or []), "age_band": p.age_band, "ethnic_group": p.ethnic_group,
            "gender": p.gender, "disability": p.disability, "religion": p.religion,
            "sexual_orientation": p.sexual_orientation, "access_needs": p.access_needs,
            "availability_note": p.availability_note, "preferred_format": p.preferred_format,
            "language": p.language, "mapping_categories": sorted(categories_of(p))}


REGISTER_PAGE = 50  # people on one page of the register list


@dataclass
class PeoplePage:
    people: list[dict]          # only what the list shows (`list_row`)
    total: int                  # everyone matching the search and filters
    first: int                  # the place of the page's first person among them (1 on the first page)
    next_after: int | None      # pass as `after` for the next page (the last person's register id)


def _people(q: str, borough: str, status: str, role: str):
    stmt = select(Person).where(Person.anonymised_at.is_(None))
    q = q.strip()
    if q:
        ref = q.upper().removeprefix("PER-")
        like = f"%{q.lower()}%"
        conds = [func.lower(Person.name).like(like), func.lower(Person.email).like(like)]
        if ref.isdigit():
            conds.append(Person.id == int(ref))
        stmt = stmt.where(or_(*conds))
    if borough:
        stmt = stmt.where(Person.borough == borough)
    if status in ("active", "inactive"):
        stmt = stmt.where(Person.active.is_(status == "active"))
    if role in ("carer", "service_user"):
        stmt = stmt.where(Person.carer.is_(role == "carer"))
    return stmt


def list_people(q: str = "", borough: str = "", status: str = "", role: str = "", *,
                limit: int = 500) -> list[dict]:
    """Search by name, email or PER- reference; filter by borough, active/inactive, carer/service user.
    Every field (`person_dict`): the CSV export and the CLI."""
    with reader() as s:
        return [person_dict(p) for p in s.execute(_people(q, borough, status, role)
                                                  .order_by(Person.name, Person.id).limit(limit)).scalars()]


def list_row(p) -> dict:
    return {"reference": f"PER-{p.id}", "name": p.name, "email": p.email, "borough": p.borough,
            "carer": bool(p.carer), "recruitment_consent": bool(p.recruitment_consent), "active": bool(p.active)}


def people_page(q: str = "", borough: str = "", status: str = "", role: str = "", *, after: int | None = None,
                limit: int | None = None) -> PeoplePage:
    """The register list a page at a time, in name order: keyset on (name, id) through ix_people_name_id,
    so a later page costs what the first does; only the columns the list shows, no per-person work."""
    limit = limit or REGISTER_PAGE
    stmt = _people(q, borough, status, role)
    with reader() as s:
        def count(of) -> int:
            return s.scalar(select(func.count()).select_from(of.with_only_columns(Person.id).subquery()))

        total, before = count(stmt), 0
        if after is not None and (last := s.get(Person, after)) is not None:
            before = count(stmt.where(tuple_(Person.name, Person.id) <= tuple_(last.name, last.id)))
            stmt = stmt.where(tuple_(Person.name, Person.id) > tuple_(last.name, last.id))
        rows = s.execute(stmt.with_only_columns(Person.id, Person.name, Person.email, Person.borough, Person.carer,
                                                Person.recruitment_consent, Person.active)
                         .order_by(Person.name, Person.id).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return PeoplePage([list_row(r) for r in rows], total, before + 1, rows[-1].id if more else None)


def show_person(email_or_ref: str) -> dict:
    """One person with their involvement history (claims and recruitment panels)."""
    key = email_or_ref.strip()
    with reader() as s:
        if key.upper().startswith("PER-") and key[4:].isdigit():
            p = s.get(Person, int(key[4:]))
        else:
            p = s.execute(select(Person).where(Person.email == key.lower())).scalar_one_or_none()
        if p is None or p.anonymised_at is not None:
            raise NotFound(f"{email_or_ref} is not in the register")
        data = person_dict(p)
        claims = s.execute(select(Claim.reference, Claim.status, Claim.activity_kind, Claim.activity_title,
                                  Claim.activity_date, Claim.total_amount)
                           .where(Claim.claimant_email == p.email).order_by(Claim.activity_date.desc())
                           .limit(200)).all()
        panels = s.execute(select(Recruitment.reference, Recruitment.title, Recruitment.interview_date,
                                  PanelMember.status)
                           .join(PanelMember, PanelMember.recruitment_id == Recruitment.id)
                           .where(PanelMember.person_id == p.id).order_by(Recruitment.interview_date.desc())).all()
    data["claims"] = [{"reference": c.reference, "status": c.status, "activity_kind": c.activity_kind,
                       "activity_title": c.activity_title, "activity_date": c.activity_date.isoformat(),
                       "total_amount": None if c.total_amount is None else f"{c.total_amount:.2f}"} for c in claims]
    data["panels"] = [{"reference": r.reference, "title": r.title, "interview_date": r.interview_date.isoformat(),
                       "status": r.status} for r in panels]
    return data


def person_for_link(session, reference: str, holder: str) -> Person | None:
    """The active person behind an `Update your details:` link (PER-<id> held by their address), inside the
    caller's session; None when the link no longer matches anyone."""
    p = session.get(Person, int(reference.removeprefix("PER-"))) if reference.startswith("PER-") else None
    return p if p is not None and p.active and p.email == holder else None


def own_payment_details(session, email: str) -> dict:
    """What the person's own page shows of their payee record, all masked: the account we pay
    (`******78`), a change waiting for checks, and payroll identifiers held."""
    payee = session.execute(select(Payee).where(Payee.email == email)).scalar_one_or_none()
    if payee is None:
        return {}
    ids = crypto.decrypt_json(payee.payroll_encrypted) if payee.payroll_encrypted else {}
    return {"bank_masked": payee.bank_details_masked, "pending_masked": payee.pending_masked,
            "pending_confirmed": payee.pending_confirmed_at is not None,
            "ni_masked": mask_ni_number(ids.get("ni_number")),
            "payroll_reference": bool(ids.get("payroll_reference"))}
