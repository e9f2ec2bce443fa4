"""Paid membership: plans, payment methods, providers, the ledger and renewal."""
