"""The streaming server's ASGI entry point (Granian imports `obole.streaming.asgi:application`)."""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "obole.settings")
django.setup()

from obole.streaming.server import application  # noqa: E402

__all__ = ["application"]
