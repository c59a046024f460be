"""Reactions of the orders context to other contexts' events."""

HANDLERS = {}
