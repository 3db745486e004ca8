"""The audiobooks kind: a book folder of chapter files becomes one M4B with chapters."""
