"""Huey tasks of the auth context: none, every auth use case completes within its request."""

SWEEPS = []
