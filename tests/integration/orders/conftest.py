"""Fixtures of the orders tests: the shared ones in tests/conftest.py serve them."""
