"""The one-file HTML report: the model's table, its charts and, if given, a simulation run.

Self-contained by design: charts are PNG data URIs and the style is in the
page, so the file can be mailed or archived and opens without a network. It
carries no script at all.
"""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from obole.economics import charts, sources
from obole.economics.model import Inputs, by_card_kind, compute, money, times


def rows(inputs: Inputs) -> list[tuple[str, str, str]]:
    """(what, with the fee, with CAPTCHA only) for the terminal table and the report."""
    out = compute(inputs)
    return [
        ("Fee per month (f)", money(out.fee_per_month), "—"),
        ("One account without a fee (A)", money(out.account_cost), money(out.account_cost)),
        ("One card (C)", money(inputs.card_cost if inputs.fee > 0 else 0), "—"),
        ("What a ban costs the operator", money(out.ban_cost), money(out.ban_cost_captcha)),
        ("Cost per live bot-month", money(out.cost_per_bot_month), money(out.cost_per_bot_month_captcha)),
        ("Multiple of CAPTCHA only", times(out.multiple), "1×"),
        (
            f"The farm of {inputs.farm_size:,} bots, per month",
            money(out.farm_per_month),
            money(out.farm_per_month_captcha),
        ),
        (
            "Revenue a bot must earn a month to break even",
            money(out.break_even_per_bot_month),
            money(out.cost_per_bot_month_captcha),
        ),
        ("Bots banned and replaced per month", f"{out.bans_per_month:,.0f}", f"{out.bans_per_month:,.0f}"),
        (
            f"Instance income from {inputs.honest_members:,} honest members, per month",
            money(out.honest_income_per_month),
            "—",
        ),
        ("Instance income from the farm's fees, per month", money(out.farm_fees_to_instance_per_month), "—"),
    ]


def render(inputs: Inputs, simulation: dict | None = None) -> str:
    images = {name: charts.data_uri(image) for name, image in charts.model_charts(inputs).items()}
    simulation_images = {}
    if simulation:
        simulation_images = {
            name: charts.data_uri(image) for name, image in charts.simulation_charts(simulation).items()
        }
    kinds = [
        (kind, money(out.cost_per_bot_month), times(out.multiple))
        for kind, out in by_card_kind(inputs).items()
    ]
    return render_to_string(
        "economics/report.html",
        {
            "inputs": inputs,
            "rows": rows(inputs),
            "kinds": kinds,
            "images": images,
            "simulation": simulation,
            "simulation_images": simulation_images,
            "figures": sources.FIGURES,
            "background": sources.BACKGROUND,
            "made_at": timezone.now(),
        },
    )
