"""The operating system: signals and critical steps, processes, Linux calls, which addresses
are this machine's."""
