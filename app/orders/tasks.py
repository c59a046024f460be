"""Huey tasks of the orders context."""

SWEEPS = []
