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
    # One sign-up per address an hour: the burst's seven bots on six addresses meet the limit.
    with serve(
        data / "server", "simulation", OBOLE_TRUSTED_PROXIES="127.0.0.1", OBOLE_SIGNUPS_PER_IP="1"
    ) as (
        base,
        env,
    ):
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
                "24",
                "--mix",
                "signup_burst=0.4",
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
        "bot attempts",
        "bots that got write access",
        "bot-months of write access",
        "paid by the farm in fees",
        "cost of each surviving bot-month",
        "humans wrongly refused or flagged",
        "measured detection per month",
        "cost multiple against CAPTCHA only",
        "Bots stopped, by rule",
        "card_in_use",
    ):
        assert words in printed


def test_the_server_counted_what_the_simulator_saw_refused(run):
    """The server's bot-pressure counts equal the refusals the farm met, stage by stage, rule by rule."""
    results, _, env = run
    seen = {(item["stage"], item["rule"]): item["count"] for item in results["summary"]["refused"]}
    assert {stage for stage, _ in seen} >= {"sign_up", "payment", "write"}
    out = subprocess.run(
        [sys.executable, "-m", "obole", "trust", "stats", "--since", "1d", "--json"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    counted = {(row["stage"], row["rule"]): row["total"] for row in json.loads(out.stdout)["refused"]}
    assert counted == seen
    # Every bot stopped at sign-up or payment was stopped by a rule the server named and counted.
    for actor in results["actors"]:
        stop = actor["stopped_by"]
        if actor["kind"] == "bot" and stop and stop["phase"] in ("sign_up", "payment"):
            assert (stop["phase"], stop["rule"]) in counted


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
    refused = [a for a in pool if a["stopped_by"] and a["stopped_by"]["rule"] == "card_in_use"]
    assert refused, "bots past the pool's size reuse a card and are refused"
    assert len({a["card"] for a in pool if a["paid"]}) == sum(a["paid"] for a in pool)


def test_card_testing_is_locked_out(run):
    results, _, _ = run
    testers = [a for a in results["actors"] if a["strategy"] == "card_testing"]
    assert testers
    assert not any(a["first_write_day"] is not None for a in testers)
    signed_up = [a for a in testers if a["signed_up"]]
    assert signed_up and all(a["stopped_by"]["rule"].startswith("failures_per_") for a in signed_up)
    assert all(a["stopped_by"]["source"] == "server" for a in signed_up)  # named in the answer


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
    assert all(a["stopped_by"]["day"] == 38 for a in lapsing)  # after the dunning retries
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
