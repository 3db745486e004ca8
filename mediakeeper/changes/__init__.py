"""Changing a user's file, for every kind and every face: the change journal
(``journal.py``: every change with its old value, on disk before a file is touched), the
planned and carried-out tag writes (``writes.py``: ``ChangeJournal``, ``apply_changes``,
``apply_together`` for several artist folders at once, ``carry_out``), the bytes a write
replaced, kept for an exact undo (``originals.py``), files set aside and put back
(``moves.py``), a file swapped for a copy of it (``swaps.py``), the journals of those steps
written and read one way (``jsonlines.py``), the undo itself (``undo.py``: journaled
values put back, each checked against its file first), and the sessions undone whole
(``undone.py``). Kinds and decisions change files through here; what a decision session
recorded beside its changes is ``decisions/sessions.py``'s, and the surfaces written again
after an undo are ``decisions/undo_surfaces.py``'s."""
