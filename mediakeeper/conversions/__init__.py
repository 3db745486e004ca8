"""The ``conversions`` kind: album folders converted into a portable library through a
crash-safe working directory (see ``job``)."""
