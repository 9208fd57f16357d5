"""The annual report (`involve report annual --year YYYY`): the financial year 1 April - 31 March,
organised by the Action Plan's work areas, for the User Forum and the Trust Board.

All figures are read in one database snapshot, aggregated in SQL (see `queries.py`), collected in
one `Figures` set and written both as `report.csv` and into `report.html` with SVG charts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from involve import audit
from involve.domain.dates import LONDON
from involve.reports import charts, diversity, programme, queries, recruitment, sections, targets
from involve.reports.figures import Figures
from involve.reports.involved import involved
from involve.reports.population import MAPPED_BOROUGHS, load_baseline
from involve.reports.render import label, month_label, write_outputs

STEPS = (
    "claims and payments",
    "people involved",
    "turnaround",
    "rejections and services",
    "interviews",
    "diversity and mapping",
    "race equality",
    "action plan and programme",
    "audit chain",
    "charts and files",
)
MONEY_BASIS = (
    "Money paid is taken from the recorded payments (one payment row per paid claim, for the "
    "amount payable when it was approved). Expenses are the claim's computed expenses; the fee is "
    "the rest of the payment, so a claim approved 'expenses only' shows no fee."
)


@dataclass(frozen=True)
class ReportFiles:
    html: Path
    csv: Path
    pdf: Path | None
    note: str
    figures: Figures


def annual_report(
    year: int,
    out_dir: Path,
    *,
    url: str | None = None,
    pdf: bool = True,
    step: Callable[[str], None] = lambda _: None,
) -> ReportFiles:
    period, previous = queries.financial_year(year), queries.financial_year(year - 1)
    baseline = load_baseline()
    f = Figures()
    f.add("report", "period_start", period.start.isoformat())
    f.add("report", "period_end", period.end.isoformat())
    with queries.snapshot(url) as conn:
        step(STEPS[0])
        cells = queries.claim_cells(conn, period)
        sections.add_claims(f, cells, period)
        step(STEPS[1])
        who = involved(conn, period)
        by_borough = {k: n for (dim, k), n in _keyed(who.people) if dim == "borough"}
        by_kind = {k: n for (dim, k), n in _keyed(who.people) if dim == "activity_kind"}
        by_role = {k: n for (dim, k), n in _keyed(who.people) if dim == "role"}
        previous_total = queries.people_involved(conn, previous)[None]
        sections.add_people(f, who.people[None], by_borough, by_kind, previous_total, by_role)
        step(STEPS[2])
        n, (median, p90) = queries.turnaround(conn, period)
        sections.add_turnaround(f, n, median, p90)
        step(STEPS[3])
        sections.add_rejections(f, queries.rejection_reasons(conn, period, 5), int(f.get("claims_rejected")))
        sections.add_services(f, queries.claims_by_service(conn, period), int(f.get("claims_submitted")))
        step(STEPS[4])
        sections.add_interviews(f, recruitment.interview_cells(conn, period))
        step(STEPS[5])
        diversity.add_profile(f, who.everyone)
        mapping = diversity.add_mapping(f, who.everyone, who.by_borough, baseline)
        step(STEPS[6])
        diversity.add_race_equality(f, [(c.ethnic_group, c.status, c.claims) for c in cells])
        step(STEPS[7])
        plan = programme.plan_progress(conn, period, cells)
        programme.add_action_plan(f, plan)
        programme.add_activities(f, conn, period)
        programme.add_recruitment(f, conn, period, cells)
        programme.add_support(f, conn, period)
        step(STEPS[8])
        seq, head = audit.chain_head(Session(bind=conn))
    f.add("audit", "audit_chain_head_seq", seq)
    f.add("audit", "audit_chain_head_hash", head)
    target_rows = targets.add_targets(f, year, targets.load_targets())
    step(STEPS[9])
    context = {
        "plan": plan,
        "targets": target_rows,
        "period": period,
        "previous": previous,
        "baseline": baseline,
        "mapped_boroughs": MAPPED_BOROUGHS,
        "generated": datetime.now(UTC).astimezone(LONDON).strftime("%d %B %Y, %H:%M"),
        "money_basis": MONEY_BASIS,
        "months": sections.months(period),
    }
    paths = write_outputs(
        out_dir, "annual.html.j2", f, annual_charts(f, period, mapping, baseline), context, pdf
    )
    return ReportFiles(paths["html"], paths["csv"], paths.get("pdf"), context.get("pdf_note", ""), f)


def _keyed(counts) -> list:
    return [(key, n) for key, n in counts.items() if key is not None]


def _values(f: Figures, metric: str, by: str, keys: list[str]) -> list[float]:
    return [float(f.get(metric, by, k, "0")) for k in keys]


def annual_charts(f: Figures, period: queries.Period, mapping: dict, baseline) -> dict[str, str]:
    """The report's charts as SVG text, by file name."""
    months = sections.months(period)
    short = [month_label(m)[:3] for m in months]
    kinds = f.keys("fee_paid_total", "activity_kind")
    boroughs = f.keys("fee_paid_total", "borough")
    pairs = [(area, m) for (area, m), (_, pop) in mapping.items() if area and pop is not None]
    return {
        "by_month": charts.columns(
            f"Claims by month of activity, {period.label}",
            short,
            [("Claims submitted", _values(f, "claims_submitted", "month", months))],
        ),
        "paid_by_month": charts.columns(
            f"Money paid by month of activity, {period.label}",
            short,
            [("Paid", _values(f, "paid_total", "month", months))],
            unit="£",
        ),
        "by_kind": charts.bars(
            "Money paid by activity kind",
            [label(k, "activity_kind") for k in kinds],
            [
                ("Fee", _values(f, "fee_paid_total", "activity_kind", kinds)),
                ("Expenses", _values(f, "expenses_paid_total", "activity_kind", kinds)),
            ],
            unit="£",
        ),
        "by_borough": charts.bars(
            "Money paid by borough",
            [label(b, "borough") for b in boroughs],
            [
                ("Fee", _values(f, "fee_paid_total", "borough", boroughs)),
                ("Expenses", _values(f, "expenses_paid_total", "borough", boroughs)),
            ],
            unit="£",
        ),
        "diversity": charts.bars(
            "People involved against the local population (Census 2021)",
            [f"{label(a, 'borough')}: {baseline.measures[m]['label']}" for a, m in pairs],
            [
                ("People involved", [mapping[p][0] for p in pairs]),
                ("Population", [mapping[p][1] for p in pairs]),
            ],
            unit="%",
        ),
    }
