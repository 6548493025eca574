"""Use cases that views and CLI commands call; no Flask request state in here."""
