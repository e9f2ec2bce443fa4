"""Counters that are incremented and read in one statement, so limits cannot be raced.

`Counter` holds per-window counts for limits (sign-ups per network per hour…);
`RuleHit` holds how often each rule fired per day, for `obole trust stats` and
the staff dashboard; `Refusal` how many requests were refused per day, stage
and rule (the bot pressure of /staff/economics). All are written only through
obole.trust.counters.
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


class Refusal(models.Model):
    """Requests refused on one day at one stage by one rule: a count, nothing about who asked.

    stage is sign_up, app_registration, payment or write (STAGES); rule is the
    name the refusal's answer carries in its `rule` field.
    """

    day = models.DateField()
    stage = models.CharField(max_length=32)
    rule = models.CharField(max_length=200)
    count = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "stage", "rule"], name="trust_refusal_day_stage_rule")
        ]
