"""Names in a library that are not media: file-system and NAS junk, our own temp files."""

# Folders that file systems and NAS boxes create; everything else, leading dots included
# ("...And Justice for All"), is media.
JUNK_FOLDERS = frozenset(
    {".git", ".Trash", ".Trashes", ".AppleDouble", ".Spotlight-V100", ".fseventsd",
     "@eaDir", "lost+found", "$RECYCLE.BIN", "System Volume Information", ".stfolder"}
)  # fmt: skip

TEMP_PREFIX = ".mediakeeper."  # tags.write's temp copies; a killed write leaves one behind


def is_temp_copy(name: str) -> bool:
    """A temp copy that a killed tag write left beside the file (the original is intact)."""
    return name.startswith(TEMP_PREFIX) and ".tmp" in name


def is_junk(name: str) -> bool:
    """macOS resource forks ("._x.mp3"), our own temp files, system folders."""
    return name.startswith(("._", TEMP_PREFIX)) or name in JUNK_FOLDERS
