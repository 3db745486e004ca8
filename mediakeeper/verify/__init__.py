"""The verify kind: every file of an album decoded in full, damage and bit rot reported."""
