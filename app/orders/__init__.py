"""The orders context (being built)."""

BLUEPRINTS = []
API_BLUEPRINTS = []
