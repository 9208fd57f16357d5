"""The person's own pages and files in their language (issue 16), on SQLite and PostgreSQL: the
payments statement from `involve statement` and from "Your claims" in the language and format kept
with their register entry (or chosen on the page), and the pseudo-locale en-XA over the signed-in
claimant pages and a refused receipt file: no English left."""
from __future__ import annotations

import csv
import io
import json
import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from involve import i18n
from involve.db import unit_of_work
from involve.domain.statement import tax_year_of
from involve.services import claims
from involve.services.people import add_person, add_staff
from involve.web.app import create_app
from tests import pseudo_locale as px
from tests.integration.test_claimant_side import FIN, LEAD, SAM, link, mails, rendered, submit

YEAR = tax_year_of(date.today())


@pytest.fixture
def paid(db, example_claim):
    """Sam (register: Urdu, large print) with one claim approved and paid; the claim's reference."""
    with unit_of_work() as s:
        add_staff(s, email=LEAD, name="Lead", roles=["lead"])
        add_staff(s, email=FIN, name="Fin", roles=["finance"])
        add_person(s, email=SAM, name="Sam Okafor", borough="havering", language="ur", reading_format="large_print")
    ref = submit(example_claim)
    claims.approve(ref, by=LEAD)
    claims.pay(ref, by=FIN)
    return ref


def signed_in(app) -> TestClient:
    """A browser signed in to "Your claims" as Sam, by the emailed link."""
    c = TestClient(app)
    token = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/claims/status").text).group(1)
    c.post("/claims/status", data={"email": SAM, "csrf_token": token})
    _s, body = rendered(mails("your_claims")[-1])
    assert c.get(link(body, "Your claims")).status_code == 200
    return c


def header(text: str) -> list[str]:
    return next(csv.reader(io.StringIO(text.lstrip("\ufeff"))))


def test_statement_is_in_the_persons_language_and_format(paid, tmp_path):
    from involve.cli.main import app

    run = CliRunner().invoke
    r = run(app, ["statement", "--email", SAM, "--tax-year", YEAR, "--out", str(tmp_path / "a"), "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert (data["language"], data["format"], data["claims"]) == ("ur", "large_print", 1)
    with i18n.use("ur"):
        assert header((tmp_path / "a" / "statement.csv").read_text("utf-8"))[0] == i18n.gettext("Paid on")
    html = (tmp_path / "a" / "statement.html").read_text("utf-8")
    assert '<html lang="ur" dir="rtl">' in html and 'class="payment"' in html  # large print: one column
    r = run(app, ["statement", "--email", SAM, "--tax-year", YEAR, "--out", str(tmp_path / "b"), "--json",
                  "--language", "ro", "--format", "standard"])
    assert json.loads(r.stdout)["language"] == "ro"
    assert header((tmp_path / "b" / "statement.csv").read_text("utf-8"))[0] == "Data plății"
    r = run(app, ["statement", "--email", SAM, "--tax-year", YEAR, "--out", str(tmp_path / "c"), "--language", "xx"])
    assert r.exit_code == 2 and "not offered" in r.output

    browser = signed_in(create_app())
    got = browser.get(f"/claims/mine/statement.csv?year={YEAR}")
    assert got.headers["content-language"] == "ur" and "ادائیگی" in header(got.text)[0]  # theirs, from the register
    browser.get(f"/claims/mine/statement?year={YEAR}&lang=ro")  # chosen on the page: that one
    got = browser.get(f"/claims/mine/statement.csv?year={YEAR}")
    assert got.headers["content-language"] == "ro" and header(got.text)[0] == "Data plății"
    page = browser.get("/claims/mine/statement?year=20x6")
    assert page.status_code == 400 and "Alegeți un an fiscal" in page.text
    pdf = browser.get(f"/claims/mine/statement.pdf?year={YEAR}&format=standard")
    if pdf.headers["content-type"] == "application/pdf":  # WeasyPrint here
        assert "large-print" not in pdf.headers["content-disposition"]


@pytest.fixture
def pseudo():
    i18n.install(px.CODE, px.translations())
    yield px.CODE
    i18n.uninstall(px.CODE)


def test_pseudo_locale_claimant_pages_and_a_refused_file_have_no_english_left(paid, pseudo):
    browser = signed_in(create_app())
    browser.get(f"/claims/mine?lang={pseudo}")
    pages = {"your claims": browser.get("/claims/mine"), "claim": browser.get(f"/claims/mine/{paid}"),
             "statement": browser.get(f"/claims/mine/statement?year={YEAR}"),
             "statement, no such year": browser.get("/claims/mine/statement?year=20x6"),
             "status": browser.get("/claims/status")}
    from involve.receipt_files import check
    from involve.services.receipts import FileRefused
    from involve.web.i18n import said

    with pytest.raises(FileRefused) as refused, i18n.use(pseudo):
        check("bill.exe", b"MZ\x90\x00" + b"\x00" * 64)
    with i18n.use(pseudo):
        message = said(refused.value)
    values = ("Sam Okafor", "Selection panel: Band 6 Community Psychiatric Nurse", "Community Recovery Team", paid,
              "sam.okafor@example.org", YEAR, "REC-2026-0012", "09:30", "13:15", "bill.exe")
    problems = {name: px.english_left(px.visible_text(page.text), values) for name, page in pages.items()}
    problems["refused file"] = px.english_left([message], values)
    assert all(page.status_code in (200, 400) for page in pages.values())
    assert not any(problems.values()), {k: v for k, v in problems.items() if v}
