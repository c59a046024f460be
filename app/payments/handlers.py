"""Reactions of the payments context to other contexts' events."""

HANDLERS = {}
