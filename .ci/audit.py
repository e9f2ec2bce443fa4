"""Audit the installed dependencies with pip-audit, and say plainly when it could not.

Usage (from the repository root, after `pip install -e '.[test]'`):
    .venv/bin/python .ci/audit.py

Audits every package installed in the virtualenv (the pins of pyproject.toml and
what they pulled in), Obole itself excepted. Outcomes:

- a known vulnerability: listed, exit 1;
- every package checked and clean: exit 0;
- some or all packages could not be checked (the vulnerability service is out of
  reach): a loud NOT AUDITED notice naming the reason, never a quiet pass. That
  exits 0 so that CI on a machine without the service still runs, unless
  OBOLE_REQUIRE_AUDIT=1, which makes it a failure.

pip-audit itself prints "No known vulnerabilities found" even when it skipped
every package, which is why its JSON report is read here instead of its exit code.
On the machines this project is built on, only the package registries are
reachable: PyPI's per-release JSON API (pypi.org/pypi/NAME/VERSION/json, which
pip-audit's default service asks) answers 404 there, and the OSV service
(api.osv.dev) does not resolve, so every package comes back unaudited.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PIP_AUDIT = Path(sys.executable).with_name("pip-audit")


def banner(lines: list[str]) -> None:
    rule = "!" * 78
    text = "\n".join([rule, *(f"!! {line}" for line in lines), rule])
    print(text, flush=True)
    print(text, file=sys.stderr, flush=True)


def main() -> int:
    command = [str(PIP_AUDIT), "--skip-editable", "--format", "json", "--progress-spinner", "off"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
        output, errors = done.stdout, done.stderr
    except subprocess.TimeoutExpired:
        output, errors = "", "pip-audit did not finish within 300 seconds"
    try:
        report = json.loads(output)
        dependencies = report["dependencies"]
    except (ValueError, KeyError):
        reason = (errors.strip().splitlines() or ["no output"])[-1]
        banner(
            [
                "pip-audit: NOT AUDITED — pip-audit could not run to the end.",
                f"reason: {reason}",
                "The dependencies were NOT checked for known vulnerabilities. This is not a pass.",
            ]
        )
        return 1 if os.environ.get("OBOLE_REQUIRE_AUDIT") == "1" else 0

    # Obole itself is installed editable and is not a dependency.
    dependencies = [dep for dep in dependencies if "editable" not in dep.get("skip_reason", "")]
    vulnerable = [dep for dep in dependencies if dep.get("vulns")]
    skipped = [dep for dep in dependencies if "skip_reason" in dep]
    audited = len(dependencies) - len(skipped)
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed release yet"
            print(f"pip-audit: {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixed})")
    if skipped:
        reasons = sorted({dep["skip_reason"].split(":")[0] for dep in skipped})
        banner(
            [
                f"pip-audit: NOT AUDITED — {len(skipped)} of {len(dependencies)} installed packages "
                "could not be checked.",
                f"reason: {'; '.join(reasons)} (e.g. {skipped[0]['skip_reason']})",
                "The vulnerability service is out of reach from this machine. Those packages were",
                "NOT checked for known vulnerabilities. This is not a pass.",
            ]
        )
    if vulnerable:
        print(f"pip-audit: {len(vulnerable)} package(s) with known vulnerabilities", file=sys.stderr)
        return 1
    if skipped:
        return 1 if os.environ.get("OBOLE_REQUIRE_AUDIT") == "1" else 0
    print(f"pip-audit: {audited} packages audited, no known vulnerabilities")
    return 0


if __name__ == "__main__":
    sys.exit(main())
