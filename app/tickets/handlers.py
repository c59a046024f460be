"""Reactions of the tickets context to other contexts' events."""

HANDLERS = {}
