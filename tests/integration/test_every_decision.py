"""Every decision the demo asks, answered the way the page answers it: each choice and the
dismissal of each decision, and of each group as a whole, previewed, taken with the
preview's token and undone, through a real server. A preview may refuse in one line (a
choice the group has not, one taken item by item); none may fail, and each undo leaves the
library byte for byte as it was and the decision open again. (A verify dismissal's preview
and a whole verify group's accept previewed once answered 500; a skipped folder could never
be left as it is.)"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from tests.integration.serving import serve
from tests.integration.test_attention import script

# The answers a preview may refuse, in one line each, with the status the API documents.
REFUSED = {404: ("has no choice", "each item's own", "item by item")}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A demo of its own (its library is written and put back here), served."""
    cwd = tmp_path_factory.mktemp("every")
    script("-m mediakeeper.demo", cwd=cwd)
    server = serve(cwd / "demo")
    yield server, cwd / "demo" / "Music"
    server.stop()


def library_bytes(library: Path) -> dict[str, str]:
    """Every file of the library by its path, as a hash of its bytes."""
    found = {}
    for folder, _, names in os.walk(library):
        for name in names:
            path = Path(folder, name)
            if not path.is_symlink():
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def answered(server, body: dict, library: Path, before: dict[str, str]) -> str:
    """``body`` previewed, taken with its token and undone: "" when each step did what it
    says, else the refusal's words (a preview that may refuse), or an AssertionError."""
    shown = server.post("/api/decisions", {**body, "preview": True})
    if shown.status_code in REFUSED:
        said = shown.json()["error"]
        assert any(words in said for words in REFUSED[shown.status_code]), (body, said)
        return said
    assert shown.status_code == 200, (body, shown.text)
    took = server.post("/api/decisions", {**body, "token": shown.json()["token"]})
    assert took.status_code == 200, (body, took.text)
    undone = server.post("/api/undo", {"session": took.json()["session"]})
    assert undone.status_code == 200, (body, undone.text)
    assert library_bytes(library) == before, body  # byte for byte as it was
    return ""


def test_each_decision_s_choices_and_its_dismissal_are_previewed_taken_and_undone(demo):
    server, library = demo
    before = library_bytes(library)
    listing = server.get("/api/decisions").json()
    asked = [d["id"] for key in ("groups", "outstanding") for g in listing[key]
             for d in g["decisions"]]  # fmt: skip
    assert len(asked) >= 14  # the demo's questions of music, verify and conversions
    taken = 0
    for decision_id in asked:
        shown = server.get(f"/api/decisions/{decision_id}")
        assert shown.status_code == 200, shown.text
        choices = [c["number"] for c in shown.json().get("choices") or ()]
        dismissal = [{"dismiss": True}] if shown.json()["code"] != "failed" else []
        for answer in [{"choose": n} for n in choices] + dismissal:
            assert answered(server, {"id": decision_id, **answer}, library, before) == ""
            assert server.get(f"/api/decisions/{decision_id}").status_code == 200  # open again
            taken += 1
    assert taken >= 25


def test_each_group_taken_whole_is_previewed_taken_and_undone(demo):
    server, library = demo
    before = library_bytes(library)
    listing = server.get("/api/decisions").json()
    refused = 0
    for group in listing["groups"]:
        kind, code, count = group["kind"], group["code"], group["count"]
        answers = [{"code": code, "choose": n} for n in range(1, len(group["choices"]) + 1)]
        for answer in [*answers, {"dismiss": code}]:
            refused += bool(answered(server, {"kind": kind, "all": True, **answer}, library,
                                     before))  # fmt: skip
            again = server.get("/api/decisions").json()["groups"]
            assert {(g["kind"], g["code"]): g["count"] for g in again}[(kind, code)] == count
    assert 0 < refused < sum(len(g["choices"]) + 1 for g in listing["groups"])
