"""The staff claims list at scale: keyset pages that neither skip nor repeat a claim, filters, and the
search (reference, whole email, part of a name or email) giving every match newest first, whether
the match is among the newest claims (read in id order) or older (read through the name index)."""
from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from involve.db import reader, unit_of_work
from involve.reports.generate import generate
from involve.services.people import add_staff
from involve.views import claims as claim_views
from involve.views.claims import ClaimFilters, list_claims
from involve.web.app import create_app
from models import Claim
from tests.staff_sign_in import sign_in

COORD = "coord@example.nhs.uk"


@pytest.fixture
def stored(db):
    generate(240, seed=5, people=24)
    with reader() as s:
        return s.execute(select(Claim.id, Claim.reference, Claim.claimant_name, Claim.claimant_email,
                                Claim.status)).all()


def walk(filters: ClaimFilters, limit: int) -> list[int]:
    """Every claim the list gives, page after page through `next_before`."""
    ids, before = [], None
    while True:
        page = list_claims(filters, before=before, limit=limit)
        assert len(page.claims) <= limit
        ids += [c.id for c in page.claims]
        if page.next_before is None:
            return ids
        before = page.next_before


def newest_first(rows) -> list[int]:
    return sorted((r.id for r in rows), reverse=True)


def test_pages_cover_every_claim_once_newest_first(stored):
    assert walk(ClaimFilters(), 17) == newest_first(stored)
    assert walk(ClaimFilters(status="paid"), 9) == newest_first(r for r in stored if r.status == "paid")


@pytest.mark.parametrize("window", [25, 1_000_000])
def test_search_finds_every_match_newest_first(stored, monkeypatch, window):
    monkeypatch.setattr(claim_views, "SEARCH_WINDOW", window)
    someone = stored[len(stored) // 3]
    surname = someone.claimant_name.split()[-1]
    for q in (surname.lower(), surname.upper()[:3], someone.claimant_email, someone.claimant_email[2:9].upper(),
              "no such person"):
        expected = newest_first(r for r in stored if q.lower() in r.claimant_name.lower()
                                or q.lower() in r.claimant_email.lower())
        assert walk(ClaimFilters(q=q), 7) == expected, q
    assert walk(ClaimFilters(q=f"  {someone.reference.lower()} "), 7) == [someone.id]
    paid = newest_first(r for r in stored if r.status == "paid" and surname.lower() in r.claimant_name.lower())
    assert walk(ClaimFilters(status="paid", q=surname), 4) == paid


def test_staff_list_searches_and_pages(stored):
    with unit_of_work() as s:
        add_staff(s, email=COORD, name="Co-ordinator", roles=["coordinator"])
    someone = stored[10]
    with TestClient(create_app()) as client:
        sign_in(client, COORD)
        first = client.get("/staff/claims")
        shown = re.findall(r'href="/staff/claims/(CLM-[^"]+)"', first.text)
        assert len(shown) == claim_views.PAGE_SIZE
        older = re.search(r'href="(/staff/claims\?before=\d+)"', first.text).group(1)
        second = re.findall(r'href="/staff/claims/(CLM-[^"]+)"', client.get(older).text)
        assert second and not set(second) & set(shown)
        found = client.get("/staff/claims", params={"q": someone.claimant_email})
        refs = re.findall(r'href="/staff/claims/(CLM-[^"]+)"', found.text)
        assert refs and someone.reference in refs
        assert all(r.claimant_email == someone.claimant_email for r in stored if r.reference in refs)


def test_finance_page_shows_the_oldest_to_pay_and_counts_them_all(stored, monkeypatch):
    from involve.views import finance

    approved = sorted(r.id for r in stored if r.status == "approved")
    assert len(approved) > 3
    shown, _ = finance.approved_claims_and_runs(limit=3)
    assert [t.claim.id for t in shown] == approved[:3]
    assert finance.payable_count() == len(approved)
    monkeypatch.setattr(finance, "FINANCE_PAGE", 3)
    with unit_of_work() as s:
        add_staff(s, email="money@example.nhs.uk", name="Finance", roles=["finance"])
    with TestClient(create_app()) as client:
        sign_in(client, "money@example.nhs.uk")
        page = client.get("/staff/finance").text
    assert f"{len(approved)} claims wait for payment; the oldest 3 are shown" in page
