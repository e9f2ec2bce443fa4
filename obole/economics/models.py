"""Simulation runs kept for the operator dashboard (/staff/economics).

`obole simulate` stores each finished run here, in the same database the
billing clock it drives uses, so every web process sees the latest one.
"""

from __future__ import annotations

from django.db import models


class SimulationRun(models.Model):
    server = models.CharField(max_length=200)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField()
    # The summary printed at the end, and every bot's and human's record (results.py).
    summary = models.JSONField()
    results = models.JSONField()

    class Meta:
        ordering = ["-finished_at"]
        get_latest_by = "finished_at"

    def __str__(self) -> str:
        return f"simulation against {self.server} at {self.finished_at:%Y-%m-%d %H:%M}"
