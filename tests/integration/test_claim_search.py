"""The claim search through migration 0013's trigram index (SQLite FTS5 `trigram`, PostgreSQL pg_trgm)
gives exactly what the LIKE / ILIKE search gives: every match, newest first, page after page, with
case, non-ASCII names, %, _, quotes and backslashes in the term, for claims there before the
migration (its backfill) and claims added, changed and deleted after it (its triggers); and the
migration goes down and up again on both databases."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, delete, func, inspect, select, text, update
from sqlalchemy.engine import make_url

from involve.db import dispose_engines, reader, unit_of_work
from involve.migrate import alembic_config
from involve.reports.generate import generate
from involve.settings import reset_settings
from involve.views import claims as claim_views
from involve.views.claims import ClaimFilters, list_claims
from models import Claim, Payment
from tests.conftest import PG_BASE, REQUIRE_PG, _pg_admin_url

ODD_PEOPLE = [  # name, email: set on some claims after the migration (the update trigger)
    ("Zoë Ólafsdóttir", "zoe.olafsdottir@example.org"),
    ("ÉLODIE Dupont-Şükrü", "elodie_dupont%x@example.org"),
    ('Seán O"Brien', "sean.o'brien@example.org"),
    ("Back\\Slash Person", "back\\slash_1@example.org"),
    ("Ivan Ёлкин", "ivan.100%@example.org"),
]
TERMS = ["zoë", "ZOË", "ólaf", "ÓLAF", "élodie", "ÉLODIE", "dupont-ş", "ŞÜKRÜ", "ёлк", "ЁЛК", "e_d", "elodie_",
         "_dupont%", "100%", "%", "_", "%x", "o\"b", "o'b", "k\\s", "\\", "example.org", "sean.o", "ab", "zqxv",
         "ZQX", "  "]


def walk(filters: ClaimFilters, limit: int) -> list[int]:
    ids, before = [], None
    while True:
        page = list_claims(filters, before=before, limit=limit)
        ids += [c.id for c in page.claims]
        if page.next_before is None:
            return ids
        before = page.next_before


def both_ways(monkeypatch, filters: ClaimFilters, limit: int = 7) -> tuple[list[int], list[int]]:
    """(through the trigram index, through LIKE / ILIKE alone: the newest-window and name-index path)"""
    monkeypatch.setattr(claim_views, "SEARCH_WINDOW", 40)  # so the LIKE path reads both its halves
    monkeypatch.setattr(claim_views, "TRIGRAM_MIN", 3)
    trigram = walk(filters, limit)
    monkeypatch.setattr(claim_views, "TRIGRAM_MIN", 10 ** 6)
    return trigram, walk(filters, limit)


def terms_from_data() -> list[str]:
    with reader() as s:
        someone = s.execute(select(Claim).order_by(Claim.id).offset(37).limit(1)).scalar_one()
        surname = someone.claimant_name.split()[-1]
        return [surname, surname.upper(), someone.claimant_name, someone.claimant_email[1:9].upper(),
                someone.claimant_email.split("@")[0], someone.claimant_name[1:4]]


def change_some_claims() -> None:
    """Odd names on a few claims (update trigger), one claim's name changed twice, two claims deleted."""
    with unit_of_work() as s:
        ids = list(s.execute(select(Claim.id).where(Claim.id.not_in(select(Payment.claim_id)))
                             .order_by(Claim.id)).scalars())
        for i, (name, email) in enumerate(ODD_PEOPLE):
            for claim_id in ids[i * 7::37][:4]:
                s.execute(update(Claim).where(Claim.id == claim_id).values(claimant_name=name, claimant_email=email))
        s.execute(update(Claim).where(Claim.id == ids[3]).values(claimant_name="Quentin Xylo"))
        s.execute(update(Claim).where(Claim.id == ids[3]).values(claimant_name="Quentin Zephyr"))
        s.execute(delete(Claim).where(Claim.id.in_(ids[-2:])))


def check_same(monkeypatch, terms: list[str]) -> int:
    """Every term gives the same claims both ways; returns how many terms matched something."""
    found = 0
    for q in terms:
        for filters in (ClaimFilters(q=q), ClaimFilters(q=q, status="paid")):
            trigram, like = both_ways(monkeypatch, filters)
            assert trigram == like, (q, filters.status)
            assert len(set(trigram)) == len(trigram) and trigram == sorted(trigram, reverse=True)
            found += bool(trigram)
    return found


def test_trigram_search_gives_what_like_gives(db, monkeypatch):
    generate(160, seed=7, people=16)     # inserted after the migration: the insert trigger
    change_some_claims()
    terms = TERMS + terms_from_data()
    assert check_same(monkeypatch, terms) >= 15
    for q in ("ZOË", "100%", "_dupont%", "k\\s"):  # found, and only real matches
        got = both_ways(monkeypatch, ClaimFilters(q=q))[0]
        assert got, q
    ascii_q = "Quentin"
    with reader() as s:
        rows = s.execute(select(Claim.id, Claim.claimant_name, Claim.claimant_email)).all()
    expected = sorted((r.id for r in rows if ascii_q.lower() in r.claimant_name.lower()
                       or ascii_q.lower() in r.claimant_email.lower()), reverse=True)
    assert both_ways(monkeypatch, ClaimFilters(q=ascii_q))[0] == expected and len(expected) == 1
    assert both_ways(monkeypatch, ClaimFilters(q="xylo")) == ([], [])  # the old name left the index
    assert both_ways(monkeypatch, ClaimFilters(q="zo_")) == ([], [])  # _ is not a wildcard ("Zoë")
    assert both_ways(monkeypatch, ClaimFilters(q="zo%")) == ([], [])  # nor is %


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_db(request, tmp_path, monkeypatch):
    """An empty database of its own (migrations go down and up in it)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'fresh.db'}"
    else:
        if not PG_BASE:
            if REQUIRE_PG:  # CI: PostgreSQL must be tested
                pytest.fail("INVOLVE_TEST_REQUIRE_POSTGRES=1 but INVOLVE_TEST_POSTGRES_URL is not set")
            pytest.skip("PostgreSQL: INVOLVE_TEST_POSTGRES_URL is not set")
        name = f"involve_test_{uuid.uuid4().hex[:10]}"
        admin = create_engine(_pg_admin_url(PG_BASE), isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"'))
        url = make_url(PG_BASE).set(database=name).render_as_string(hide_password=False)
    monkeypatch.setenv("INVOLVE_DATABASE_URL", url)
    reset_settings()
    yield url
    dispose_engines()
    if request.param == "postgres":
        with admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def search_objects(url: str) -> set[str]:
    from involve.db import get_engine

    engine = get_engine(url)
    if engine.dialect.name == "sqlite":
        with engine.connect() as c:
            return set(c.execute(text("SELECT name FROM sqlite_master WHERE name LIKE 'claims_search%'")).scalars())
    return {i["name"] for i in inspect(engine).get_indexes("claims") if i["name"].endswith("_trgm")}


def test_migration_fills_the_index_and_goes_down_and_up(fresh_db, monkeypatch):
    from alembic import command

    cfg = alembic_config(fresh_db)
    command.upgrade(cfg, "0012")
    generate(120, seed=3, people=12, url=fresh_db)          # claims there before the trigram index
    assert not search_objects(fresh_db)
    command.upgrade(cfg, "0013")                              # its backfill
    assert search_objects(fresh_db)
    terms = TERMS + terms_from_data()
    assert check_same(monkeypatch, terms) >= 6
    command.downgrade(cfg, "0012")
    assert not search_objects(fresh_db)
    with unit_of_work() as s:                                 # claims change with no trigger left behind
        s.execute(update(Claim).where(Claim.id == 5).values(claimant_name="Zoë Ólafsdóttir"))
        count = s.scalar(select(func.count()).select_from(Claim))
    command.upgrade(cfg, "head")
    change_some_claims()
    assert check_same(monkeypatch, terms) >= 10
    with reader() as s:
        assert s.scalar(select(func.count()).select_from(Claim)) == count - 2
