"""Counters that are incremented and read in one statement, so limits cannot be raced.

`Counter` holds per-window counts for limits (sign-ups per network per hour…);
`RuleHit` holds how often each rule fired per day, for `obole trust stats` and
the staff dashboard. Both are written only through obole.trust.counters.
"""

from __future__ import annotations

from django.db import models


class Counter(models.Model):
    key = models.CharField(max_length=200)
    bucket = models.BigIntegerField()  # the window's number: epoch seconds // window length
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "bucket"], name="trust_counter_key_bucket")]


class RuleHit(models.Model):
    rule = models.CharField(max_length=200)
    day = models.DateField()
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "day"], name="trust_rulehit_rule_day")]
