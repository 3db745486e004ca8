"""Plugins that load and then misbehave."""
