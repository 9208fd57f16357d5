"""`involve report budget`: spend against budget per cost centre and month of a financial year.

Writes `report.csv` (cost_centre,month,budget,committed,approved,paid), `report.html` (the same
figures in tables, and the chart) and `charts/budget.svg`. Each month's budget is the year's
budget shared over 12 months (March takes the rounding); spend counts by the month of the activity:
committed = claims waiting for a decision (their claimed total), approved = approved and not yet
paid, paid = paid (both at the amount approved to pay).
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from html import escape
from pathlib import Path

from involve import finance_files
from involve.reports.charts import bars
from involve.views.finance import BudgetRow, budget_rows, budgets_for

HEADER = ["cost_centre", "month", "budget", "committed", "approved", "paid"]


@dataclass(frozen=True)
class BudgetFiles:
    html: Path
    csv: Path
    chart: Path
    rows: list[BudgetRow]


def _money(v: Decimal) -> str:
    return f"£{v:,.2f}"


def budget_report(year: int, out_dir: Path) -> BudgetFiles:
    rows = budget_rows(year)
    budgets = budgets_for(year)
    out_dir = Path(out_dir)
    csv_path = finance_files.write_csv(out_dir / "report.csv", HEADER, (
        [r.cost_centre, r.month, f"{r.budget:.2f}", f"{r.committed:.2f}", f"{r.approved:.2f}", f"{r.paid:.2f}"]
        for r in rows))
    codes = list(dict.fromkeys(r.cost_centre for r in rows))
    totals = {cc: [sum((getattr(r, k) for r in rows if r.cost_centre == cc), Decimal("0.00"))
                   for k in ("committed", "approved", "paid")] for cc in codes}
    series = [("Budget", [float(budgets.get(cc, 0)) for cc in codes]),
              ("Paid", [float(totals[cc][2]) for cc in codes]),
              ("Approved", [float(totals[cc][1]) for cc in codes]),
              ("Committed", [float(totals[cc][0]) for cc in codes])]
    label = f"{year}/{str(year + 1)[2:]}"
    svg = bars(f"Spend against budget {label}", codes, series, unit="£")
    chart = finance_files.write_text(out_dir / "charts" / "budget.svg", svg)
    parts = [f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
             f'<meta name="viewport" content="width=device-width, initial-scale=1">'
             f"<title>Involvement budget {label}</title>"
             "<style>body{font-family:Arial,sans-serif;max-width:60em;margin:1em auto;padding:0 1em}"
             "table{border-collapse:collapse;margin:1em 0}th,td{border-bottom:1px solid #d8dde0;padding:4px 8px;"
             "text-align:right}th:first-child,td:first-child{text-align:left}img{max-width:100%;height:auto}"
             ".over{color:#d5281b;font-weight:bold}</style></head><body>",
             f"<h1>Involvement payments against budget, {label}</h1>",
             "<p>Spend counts by the month of the activity. Committed: claims waiting for a decision. Approved: "
             "approved, not yet paid. Paid: paid. Each month's budget is the year's budget shared over 12 months.</p>",
             f'<img src="charts/budget.svg" alt="Budget, paid, approved and committed spend by cost centre, {label}">']
    for cc in codes:
        spent = sum(totals[cc], Decimal("0.00"))
        budget = budgets.get(cc)
        note = "no budget set" if budget is None else (
            f'<span class="over">over budget by {_money(spent - budget)}</span>' if spent > budget
            else f"{_money(budget - spent)} left")
        parts.append(f"<h2>{escape(cc)}</h2><p>Budget {_money(budget or Decimal('0'))}; spend {_money(spent)}: "
                     f"{note}.</p>")
        parts.append(f'<table><caption class="visually-hidden">{escape(cc)} by month</caption><thead><tr>'
                     + "".join(f'<th scope="col">{h}</th>' for h in
                               ("Month", "Budget", "Committed", "Approved", "Paid")) + "</tr></thead><tbody>")
        for r in rows:
            if r.cost_centre == cc:
                parts.append(f'<tr><th scope="row">{r.month}</th>' + "".join(
                    f"<td>{_money(v)}</td>" for v in (r.budget, r.committed, r.approved, r.paid)) + "</tr>")
        parts.append("</tbody></table>")
    parts.append("</body></html>\n")
    html = finance_files.write_text(out_dir / "report.html", "".join(parts))
    return BudgetFiles(html, csv_path, chart, rows)
