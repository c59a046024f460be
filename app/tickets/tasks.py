"""Huey tasks of the tickets context."""

SWEEPS = []
