"""The payments context (being built)."""

BLUEPRINTS = []
API_BLUEPRINTS = []
