"""The operating system: signals and critical steps, processes, Linux calls."""
