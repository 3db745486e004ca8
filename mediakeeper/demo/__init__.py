"""``make demo`` (``python -m mediakeeper.demo``: ``walkthrough.py``), and what it and the
tests make real files with: tracks tagged from the silent templates in ``mediakeeper/data``
(``tracks.py``; how each template was made: ``templates.py``), audio with distinct content
from ffmpeg (``sound.py``), and damage done to audio on purpose (``damage.py``). None of it
is used by the toolkit's own commands."""
