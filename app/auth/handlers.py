"""Reactions of the auth context to other contexts' events."""

HANDLERS = {}
