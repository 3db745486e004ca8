"""The vocabulary every layer speaks: errors, settings, the kind registry, findings."""
