"""A small simulated farm against a real `obole serve`, over HTTP only, with the billing clock moved.

The server believes X-Forwarded-For from 127.0.0.1 (OBOLE_TRUSTED_PROXIES), so
each actor comes from its own address, as in production behind a proxy.
"""

import json
import subprocess
import sys

import pytest

from tests.live import serve

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    data = tmp_path_factory.mktemp("obole-simulation")
    with serve(data / "server", "simulation", OBOLE_TRUSTED_PROXIES="127.0.0.1") as (base, env):
        results = data / "results.json"
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "obole",
                "simulate",
                "--server",
                base,
                "--bots",
                "20",
                "--humans",
                "6",
                "--card-tests",
                "9",
                "--days",
                "0,31,38",
                "--results",
                str(results),
                "--concurrency",
                "4",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        yield json.loads(results.read_text()), done.stdout, env


def test_it_prints_the_figures(run):
    _, printed, _ = run
    for words in (
        "bots that got write access",
        "cost of each surviving bot-month",
        "humans wrongly refused",
        "cost multiple against CAPTCHA only",
        "bot attempts",
    ):
        assert words in printed


def test_no_two_live_bot_accounts_share_a_card(run):
    results, _, _ = run
    end = f"{results['summary']['days'][-1]:g}"
    live = [a for a in results["actors"] if a["kind"] == "bot" and a["writes"].get(end)]
    assert live, "some bots pay honestly and should still be writing"
    cards = [a["card"] for a in live]
    assert len(cards) == len(set(cards))


def test_the_card_pool_is_cut_to_one_bot_per_card(run):
    results, _, _ = run
    pool = [a for a in results["actors"] if a["strategy"] == "card_pool"]
    refused = [a for a in pool if a["stopped_by"] and a["stopped_by"]["rule"] == "one_card_per_account"]
    assert refused, "bots past the pool's size reuse a card and are refused"
    assert len({a["card"] for a in pool if a["paid"]}) == sum(a["paid"] for a in pool)


def test_card_testing_is_locked_out(run):
    results, _, _ = run
    testers = [a for a in results["actors"] if a["strategy"] == "card_testing"]
    assert testers
    assert not any(a["first_write_day"] is not None for a in testers)
    signed_up = [a for a in testers if a["signed_up"]]
    assert signed_up and all(a["stopped_by"]["rule"] == "payment_failures_limit" for a in signed_up)


def test_no_human_is_refused(run):
    results, _, _ = run
    humans = [a for a in results["actors"] if a["kind"] == "human"]
    assert len(humans) == 6
    assert all(a["stopped_by"] is None and a["paid"] for a in humans)
    assert all(a["writes"]["38"] for a in humans)
    assert results["summary"]["humans"]["refused"] == 0


def test_time_moves_with_the_billing_clock(run):
    """Bots that swap in a card that fails when charged lapse after dunning; honest ones were renewed."""
    results, _, _ = run
    lapsing = [a for a in results["actors"] if a["strategy"] == "first_month_only" and a["paid"]]
    assert lapsing and all(not a["writes"]["38"] for a in lapsing)
    assert all(a["stopped_by"]["rule"] == "membership_lapsed" for a in lapsing)
    honest = [a for a in results["actors"] if a["strategy"] == "honest_operator"]
    assert honest and all(a["paid_minor"] == 600 for a in honest)  # two months at 3.00 USD


def test_the_run_is_kept_for_the_dashboard_and_feeds_the_model(run, tmp_path):
    results, _, env = run
    out = subprocess.run(
        [sys.executable, "-m", "obole", "economics", "--json", "--from-simulation", str(tmp_path / "r.json")],
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0 and "not a results file" in out.stderr
    (tmp_path / "r.json").write_text(json.dumps(results))
    out = subprocess.run(
        [sys.executable, "-m", "obole", "economics", "--json", "--from-simulation", str(tmp_path / "r.json")],
        env=env,
        capture_output=True,
        text=True,
    )
    model = json.loads(out.stdout)
    assert model["inputs"]["detection"] == results["summary"]["measured"]["detection_per_month"]
    assert model["inputs"]["fee"] == "3"
    stored = subprocess.run(
        [
            sys.executable,
            "-m",
            "obole",
            "shell",
            "-c",
            "from obole.economics.models import SimulationRun; print(SimulationRun.objects.count())",
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert stored.stdout.strip().splitlines()[-1] == "1"  # after the shell's own notice
