"""PNG charts of the model and of simulation runs, drawn with matplotlib.

Figures are made with matplotlib's object API (no pyplot, no global state), so
web processes can draw them on any thread. Money becomes float only here, for
drawing; every figure written as text comes from the exact Decimals.
"""

from __future__ import annotations

import base64
import io
from decimal import Decimal

from matplotlib.colors import LogNorm
from matplotlib.figure import Figure

from obole.economics.model import DEFAULT_DETECTIONS, DEFAULT_FEES, Inputs, by_card_kind, sweep

DPI = 72
INK = "#1f2328"
ACCENT = "#6b3fa0"
MUTED = "#8c959f"


def png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", metadata={"Software": None})
    return buffer.getvalue()


def data_uri(image: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(image).decode("ascii")


def _figure(width: float = 7.5, height: float = 4.2) -> tuple[Figure, object]:
    figure = Figure(figsize=(width, height))
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    return figure, axes


def fee_detection_heatmap(
    inputs: Inputs, fees: list[Decimal] | None = None, detections: list[Decimal] | None = None
) -> bytes:
    """Cost per live bot-month with the fee, over fee (x) × monthly detection rate (y)."""
    fees, detections = fees or DEFAULT_FEES, detections or DEFAULT_DETECTIONS
    grid = sweep(inputs, fees, detections)
    values = [[max(float(cell.cost_per_bot_month), 1e-4) for cell in row] for row in grid]
    figure, axes = _figure(8, 4.8)
    image = axes.imshow(values, origin="lower", aspect="auto", cmap="magma_r", norm=LogNorm())
    for y, row in enumerate(grid):
        for x, cell in enumerate(row):
            multiple = "" if cell.multiple is None else f"\n{cell.multiple:.0f}×"
            shade = "white" if values[y][x] > 1 else INK
            axes.text(
                x,
                y,
                f"${cell.cost_per_bot_month:.2f}{multiple}",
                ha="center",
                va="center",
                fontsize=7,
                color=shade,
            )
    axes.set_xticks(range(len(fees)), [f"${fee}" for fee in fees])
    axes.set_yticks(range(len(detections)), [f"{p:.0%}" for p in detections])
    axes.set_xlabel(f"fee per {inputs.interval}")
    axes.set_ylabel("bots caught per month")
    axes.set_title("Cost of one live bot-month, and its multiple of CAPTCHA only", fontsize=11)
    figure.colorbar(image, ax=axes, label="USD per bot-month")
    return png(figure)


def cost_by_fee(inputs: Inputs, fees: list[Decimal] | None = None) -> bytes:
    """Cost per live bot-month against the fee, for a few detection rates, beside CAPTCHA only."""
    fees = fees or DEFAULT_FEES
    detections = [Decimal(text) for text in ("0", "0.05", "0.25", "1")]
    grid = sweep(inputs, fees, detections)
    figure, axes = _figure()
    xs = [float(fee) for fee in fees]
    for p, row in zip(detections, grid, strict=True):
        axes.plot(
            xs, [float(cell.cost_per_bot_month) for cell in row], marker="o", label=f"fee, {p:.0%} caught"
        )
        axes.axhline(float(row[0].cost_per_bot_month_captcha), color=MUTED, linestyle=":", linewidth=1)
    axes.set_yscale("log")
    axes.set_xlabel(f"fee per {inputs.interval} (USD)")
    axes.set_ylabel("USD per live bot-month")
    axes.set_title("A bot-month with the fee; dotted: CAPTCHA only at the same rates", fontsize=11)
    axes.legend(frameon=False, fontsize=8)
    return png(figure)


def card_kinds(inputs: Inputs) -> bytes:
    """Cost per live bot-month for each kind of card the sources price."""
    kinds = by_card_kind(inputs)
    figure, axes = _figure(7.5, 3.6)
    names = list(kinds)
    costs = [float(kinds[name].cost_per_bot_month) for name in names]
    axes.barh(names, costs, color=ACCENT)
    axes.axvline(
        float(kinds[names[0]].cost_per_bot_month_captcha), color=INK, linestyle="--", label="CAPTCHA only"
    )
    for y, cost in enumerate(costs):
        axes.text(cost, y, f" ${cost:.2f}", va="center", fontsize=8)
    axes.set_xlabel("USD per live bot-month")
    axes.set_title(
        f"By kind of card (fee {inputs.fee} per {inputs.interval}, {inputs.detection:.0%} caught)",
        fontsize=11,
    )
    axes.legend(frameon=False, fontsize=8, loc="lower right")
    return png(figure)


def model_charts(inputs: Inputs) -> dict[str, bytes]:
    return {
        "fee_detection": fee_detection_heatmap(inputs),
        "cost_by_fee": cost_by_fee(inputs),
        "card_kinds": card_kinds(inputs),
    }


def simulation_outcomes(summary: dict) -> bytes:
    """Bots per strategy: how many got write access, and what stopped the others."""
    strategies = summary["by_strategy"]
    names = list(strategies)
    rules = sorted({rule for item in strategies.values() for rule in item["stopped_by"]})
    figure, axes = _figure(8, 4.2)
    left = [0.0] * len(names)
    through = [strategies[name]["got_write_access"] for name in names]
    axes.barh(names, through, color=ACCENT, label="got write access")
    left = [float(value) for value in through]
    palette = ["#cf222e", "#bc4c00", "#9a6700", "#1a7f37", "#0969da", "#57606a", "#8250df", "#bf3989"]
    for index, rule in enumerate(rules):
        counts = [strategies[name]["stopped_by"].get(rule, 0) for name in names]
        axes.barh(names, counts, left=left, color=palette[index % len(palette)], label=f"stopped: {rule}")
        left = [a + b for a, b in zip(left, counts, strict=True)]
    axes.set_xlabel("bots")
    axes.set_title("Each bot strategy against the server", fontsize=11)
    axes.legend(frameon=False, fontsize=7, loc="lower right")
    return png(figure)


def simulation_timeline(summary: dict) -> bytes:
    """Bots and humans able to write on each simulated day."""
    days = summary["timeline"]
    figure, axes = _figure(7.5, 3.6)
    xs = [row["day"] for row in days]
    axes.step(
        xs, [row["bots_writing"] for row in days], where="post", color=ACCENT, label="bots able to write"
    )
    axes.step(
        xs, [row["humans_writing"] for row in days], where="post", color=INK, label="humans able to write"
    )
    axes.set_xlabel("simulated day")
    axes.set_ylabel("accounts")
    axes.set_ylim(bottom=0)
    axes.set_title("Who could write as the billing clock moved", fontsize=11)
    axes.legend(frameon=False, fontsize=8)
    return png(figure)


def simulation_charts(summary: dict) -> dict[str, bytes]:
    return {"outcomes": simulation_outcomes(summary), "timeline": simulation_timeline(summary)}


def time_series(
    title: str, ylabel: str, days: list[str], series: dict[str, list[float]], stacked: bool = False
) -> bytes:
    """A day-by-day chart for the operator dashboard."""
    figure, axes = _figure(7.5, 3.4)
    xs = list(range(len(days)))
    if stacked and series:
        axes.stackplot(xs, *series.values(), labels=list(series), alpha=0.85)
    else:
        for name, values in series.items():
            axes.plot(xs, values, marker="o", markersize=3, label=name)
    step = max(1, len(days) // 8)
    axes.set_xticks(xs[::step], [day[5:] for day in days[::step]])
    axes.set_ylabel(ylabel)
    axes.set_ylim(bottom=0)
    axes.set_title(title, fontsize=11)
    if series:
        axes.legend(frameon=False, fontsize=8)
    return png(figure)
