"""Numbered database migrations (indexes and data changes) and their runner."""
