"""The auth context (being built)."""

BLUEPRINTS = []
API_BLUEPRINTS = []
