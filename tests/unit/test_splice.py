"""Bytes replaced by bytes of another length (``mediakeeper/fs/splice.py``): a file spliced
in place and a view of it spliced without a write both hold what a bytearray does, for
random splices that grow, shrink and keep the file's size, with chunks smaller than the
bytes they move (a move that overlapped itself would garble them)."""

from __future__ import annotations

import io
import random

from mediakeeper.fs import splice


def test_splices_in_a_file_and_in_a_view_hold_what_a_bytearray_holds(monkeypatch):
    monkeypatch.setattr(splice, "CHUNK", 7)
    rng = random.Random(1128)
    for _ in range(500):
        data = rng.randbytes(rng.randint(0, 60))
        model, work = bytearray(data), io.BytesIO(data)
        view = splice.Spliced(io.BytesIO(data), len(data))
        size = len(data)
        for _ in range(rng.randint(1, 4)):
            at = rng.randint(0, len(model))
            n = rng.randint(0, len(model) - at)
            new = rng.randbytes(rng.randint(0, 20))
            model[at : at + n] = new
            size = splice.splice(work, at, n, new, size)
            view.splice(at, n, new)
            assert work.getvalue() == bytes(model) and size == len(model)
            assert view.size == len(model)
            assert view.read(0, len(model) + 5) == bytes(model)
            start = rng.randint(0, len(model))
            assert view.read(start, 9) == bytes(model[start : start + 9])
