"""The dupes kind: copies of one recording found by their sound across the music library,
graded, and the non-best set aside (never deleted)."""
