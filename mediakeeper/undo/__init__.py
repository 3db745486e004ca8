"""Undo: the journaled changes of a session (or of an artist, or the newest) put back, newest
first, each checked against its file first (``restore.py``), then every surface written
again from the files as they now are (``surfaces.py``). The journal itself is written where
the changes are made (``music/journal.py``); what a decision session recorded beside its
changes is ``decisions/sessions.py``'s."""
