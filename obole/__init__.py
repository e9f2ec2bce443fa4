"""Obole."""
