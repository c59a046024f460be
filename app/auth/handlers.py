"""Reactions of the auth context to other contexts' events: none, auth depends on nobody."""

HANDLERS = {}
