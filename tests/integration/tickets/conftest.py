"""Fixtures of the tickets tests: the shared ones in tests/conftest.py serve them."""
