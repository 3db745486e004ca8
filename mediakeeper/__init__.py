"""mediakeeper: keeps a personal media library healthy, one small resumable batch at a time."""

__version__ = "0.1.0"
