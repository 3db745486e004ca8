"""What an everyday offline batch does not import: the web stack (a third of a second),
ftfy (50-80 ms) and rich (25 ms, only a terminal needs it) are imported where they are first
needed."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("requests", "requests_cache", "pyrate_limiter", "ftfy", "rich")


def test_starting_a_batch_imports_neither_the_web_stack_nor_ftfy(child_env):
    code = (
        "import sys\n"
        "import utilities.process_music_batch, mediakeeper.music.job, mediakeeper.movies.job\n"
        f"print(' '.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=child_env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
