"""The page's rendering of each kind of evidence the decision engine gives (docs/api.md,
"Decisions", its details): every one renders, escaped, its controls addressing the decision
by its id. The documents are shaped as ``decisions.engine.explain`` answers; the browser
tests take the real ones from real files."""

from __future__ import annotations

import pytest

from mediakeeper.web.page import TEMPLATES, match

EVIL = "<script>alert(1)</script>\u202e"


def rendered(details: dict, **more) -> str:
    d = {"id": "d1.abc", "kind": "music", "item": EVIL, "key": EVIL, "album": "",
         "code": "x-code", "severity": "warning", "question": f"Which {EVIL}?",
         "files": ["a.flac"], "details": {"question": "q", "code": "x-code",
                                          "files": ["a.flac"], **details},
         "choices": [{"number": 1, "label": f"take {EVIL}", "act": "write"}],
         "can_set": None, **more}  # fmt: skip
    return TEMPLATES.get_template("_decision.html.j2").render(base="", d=d)


@pytest.mark.parametrize("details", [
    {"values": [{"value": "1973", "tracks": ["a.flac"]}, {"value": None, "tracks": ["b.flac"]}]},
    {"proposals": [{"label": "AcoustID", "score": 0.93, "file": "a.flac", "fields": [
        {"path": "a.flac", "field": "title", "current": None, "proposed": EVIL},
        {"path": "a.flac", "field": "artist", "current": "Same", "proposed": "Same"}]}]},
    {"damage": [{"path": "a.flac", "seconds": 0.71, "missing_seconds": 0.29,
                 "missing_bytes": 1024, "at": None, "last_good": None,
                 "backup": {"good": True, "path": "/backup/a.flac", "why_not": None}}]},
    {"name": "Artist — Album", "level": "album", "best": "/x", "why": ["lossless"],
     "waste": 10, "copies": [{"path": "/x", "format": "flac", "sample_rate": 44100,
                              "bit_depth": 16, "bitrate": None, "duration": 1.0, "size": 10,
                              "tags_filled": 8, "damage": None, "lossy_origin": False,
                              "grade": 9.5, "best": True, "files": 3}]},
    {"candidates": [{"id": 24, "title": EVIL, "original_title": "Orig", "year": 2001,
                     "overview": "o", "poster": None}]},
    {"stage": "converting", "error": EVIL, "attempts": 2},
    {"tracks": [{"path": "a.flac", "album": "", "format": "flac", "duration": 1.0,
                 "bitrate": 1, "lossless": True, "tags": {"title": EVIL}}], "tag": "title"},
])  # fmt: skip
def test_each_kind_of_evidence_renders_escaped(details):
    html = rendered(details)
    assert "<script>alert" not in html and "\u202e" not in html
    assert "&lt;script&gt;" in html and "\\u202e" in html
    assert 'data-id="d1.abc"' in html


def test_a_value_is_asked_with_its_scope():
    html = rendered({"tag": "title"}, can_set="title")
    assert 'data-set="title"' in html and 'name="scope"' in html


def test_match_colours_as_picard():
    assert [match(s) for s in (0.95, 0.8, 0.6, 0.2, None)] == ["good", "fair", "poor", "bad", "bad"]
