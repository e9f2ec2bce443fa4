"""`obole economics`: what a bot farm costs with the fee and with CAPTCHA only.

obole economics                                 the table, with the sourced defaults
obole economics --fee 1 --interval year --detection 0.2
obole economics --from-simulation results.json  detection (and fee) as measured by `obole simulate`
obole economics --json                          the inputs and outputs as JSON
obole economics --charts DIR --report FILE.html PNG charts and the self-contained report
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.table import Table

from obole.economics import charts, report
from obole.economics.model import INTERVALS_PER_MONTH, Inputs, by_card_kind, compute, money, times


def decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CommandError(f"{text!r} is not a number") from None
    if not value.is_finite():
        raise CommandError(f"{text!r} is not a number")
    return value


# (option, Inputs field, parser, help)
OPTIONS = [
    ("--fee", "fee", decimal, "the fee per interval in USD (default 3.00)"),
    ("--farm-size", "farm_size", int, "live bots the operator keeps (default 100000)"),
    ("--card-cost", "card_cost", decimal, "a new card for one bot (default 0.10, a virtual card)"),
    ("--captcha-per-thousand", "captcha_per_thousand", decimal, "CAPTCHA solving per 1,000 (default 0.80)"),
    ("--captchas-per-account", "captchas_per_account", int, "CAPTCHAs solved per account (default 1)"),
    ("--phone-cost", "phone_cost", decimal, "an SMS-verification number (default 0.10)"),
    ("--address-cost", "address_cost", decimal, "addresses (proxies) per account (default 0: no source)"),
    ("--detection", "detection", decimal, "monthly probability that a bot is caught (default 0.05)"),
    ("--horizon-months", "horizon_months", int, "months the farm runs (default 12)"),
    ("--honest-members", "honest_members", int, "paying human members beside the farm (default 10000)"),
]


def inputs_from_simulation(path: Path) -> dict:
    """The fee and measured detection rate of an `obole simulate` results file."""
    try:
        data = json.loads(path.read_text())
        measured = data["summary"]["measured"] if "summary" in data else data["measured"]
        server = data["summary"]["server"] if "summary" in data else data["server"]
        return {
            "detection": min(Decimal(1), Decimal(str(measured["detection_per_month"]))),
            "fee": Decimal(server["fee"]),
            "interval": server["interval"],
            "detection_source": f"measured by obole simulate ({path.name})",
        }
    except (OSError, ValueError, KeyError, TypeError, InvalidOperation) as error:
        raise CommandError(f"{path} is not a results file of obole simulate: {error}") from None


def load_summary(path: Path) -> dict:
    data = json.loads(path.read_text())
    return data.get("summary", data)


class Command(BaseCommand):
    help = (
        "What a bot farm costs its operator with the fee and with CAPTCHA only (table, JSON, charts, report)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        for option, dest, kind, text in OPTIONS:
            parser.add_argument(option, dest=dest, type=kind, help=text)
        parser.add_argument(
            "--interval", choices=list(INTERVALS_PER_MONTH), help="the fee's interval (default month)"
        )
        parser.add_argument(
            "--from-simulation",
            type=Path,
            metavar="RESULTS.json",
            help="take the detection rate and the fee from a run of obole simulate",
        )
        parser.add_argument("--json", action="store_true", help="print inputs and outputs as JSON")
        parser.add_argument("--charts", type=Path, metavar="DIR", help="write the PNG charts into DIR")
        parser.add_argument(
            "--report", type=Path, metavar="FILE", help="write the self-contained HTML report"
        )

    def handle(self, *args, **options) -> None:
        values: dict = {}
        simulation = None
        if options["from_simulation"]:
            values.update(inputs_from_simulation(options["from_simulation"]))
            simulation = load_summary(options["from_simulation"])
        for _, dest, _, _ in OPTIONS:
            if options[dest] is not None:
                values[dest] = options[dest]
        if options["interval"]:
            values["interval"] = options["interval"]
        try:
            inputs = Inputs(**values)
        except ValueError as error:
            raise CommandError(str(error)) from None

        if options["json"]:
            body = {
                "inputs": inputs.to_dict(),
                "outputs": compute(inputs).to_dict(),
                "by_card_kind": {kind: out.to_dict() for kind, out in by_card_kind(inputs).items()},
            }
            self.stdout.write(json.dumps(body, indent=2))
        else:
            self.print_table(inputs)
        if options["charts"]:
            options["charts"].mkdir(parents=True, exist_ok=True)
            images = charts.model_charts(inputs)
            if simulation:
                images.update(
                    {
                        f"simulation_{name}": image
                        for name, image in charts.simulation_charts(simulation).items()
                    }
                )
            for name, image in images.items():
                (options["charts"] / f"{name.replace('_', '-')}.png").write_bytes(image)
            self.stderr.write(f"charts written to {options['charts']}/")
        if options["report"]:
            options["report"].write_text(report.render(inputs, simulation))
            self.stderr.write(f"report written to {options['report']}")

    def print_table(self, inputs: Inputs) -> None:
        console = Console(file=self.stdout, width=110)
        title = (
            f"A farm of {inputs.farm_size:,} bots; fee {inputs.fee} USD per {inputs.interval}; "
            f"{inputs.detection} caught per month ({inputs.detection_source})"
        )
        table = Table(title=title)
        table.add_column("")
        table.add_column("with the fee", justify="right")
        table.add_column("CAPTCHA only", justify="right")
        for row in report.rows(inputs):
            table.add_row(*row)
        console.print(table)
        kinds = Table(title="By kind of card")
        kinds.add_column("card")
        kinds.add_column("per live bot-month", justify="right")
        kinds.add_column("multiple", justify="right")
        for kind, out in by_card_kind(inputs).items():
            kinds.add_row(kind, money(out.cost_per_bot_month), times(out.multiple))
        console.print(kinds)
