"""Huey tasks of the payments context."""

SWEEPS = []
