"""Huey tasks of the auth context."""

SWEEPS = []
