"""Fixture copies of the outlets' sites and the HTTP server that serves them (see README.md)."""
