"""The pipelines' steps: the registry and the built-in steps."""
