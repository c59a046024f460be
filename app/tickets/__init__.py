"""The tickets context (being built)."""

BLUEPRINTS = []
API_BLUEPRINTS = []
