"""The command line (Click): every command, the only layer that prints."""
