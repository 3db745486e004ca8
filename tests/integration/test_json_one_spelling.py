"""The command line's ``--json`` and the web API spell a name the same way, by one function
(``text.visible.json_document``): a file name's undecodable byte (a Latin-1 folder on Linux)
and a hidden control (a next line, a right-to-left override) as JSON's own ``\\u`` escape,
which a script reads back as the very name (``os.fsencode`` gives the folder's bytes); never
a raw control that reorders or breaks the line of whoever looks at the answer."""

from __future__ import annotations

import json
import os
import re

from tests.helpers import run_script
from tests.integration.serving import serve

# A file name's undecodable byte, a C1 control, a bidirectional override.
FOLDERS = {b"Caf\xe9 Tacuba": "\\udce9", b"Next\xc2\x85Line": "\\u0085",
           b"Evil\xe2\x80\xaegpj": "\\u202e"}  # fmt: skip
RAW = re.compile("[\x85\u202e]")


def test_the_api_and_the_command_line_spell_each_name_alike(tmp_path, music_library):
    lib, home = tmp_path / "Music", tmp_path / "home"
    music_library(lib, {"Plain/Album/01 - One.flac": {"tags": {"title": "One"}}})
    for folder in FOLDERS:
        os.makedirs(os.path.join(os.fsencode(lib), folder, b"Album"))
        os.link(lib / "Plain" / "Album" / "01 - One.flac",
                os.path.join(os.fsencode(lib), folder, b"Album", b"01 - One.flac"))  # fmt: skip
    init = run_script("music_queue_manager.py", "--home", home, "--init", "--library", lib)
    assert init.returncode == 0, init.stdout + init.stderr
    listed = run_script("music_queue_manager.py", "--home", home, "--list", "--json")
    assert listed.returncode == 0, listed.stderr
    server = serve(home)
    try:
        answer = server.get("/api/queues/music/items?limit=50")
    finally:
        server.stop()
    assert answer.status_code == 200, answer.text
    body = answer.content.decode("utf-8")  # strict: UTF-8 whatever the names
    assert not RAW.search(body), body
    names = {os.fsencode(item["name"]) for item in json.loads(body)["items"]}
    assert names == {b"Plain", *FOLDERS}
    for folder, escape in FOLDERS.items():
        spelled = json.dumps(os.fsdecode(folder))  # JSON's \u escapes: the one spelling
        assert escape in spelled and spelled in listed.stdout, (spelled, listed.stdout)
        assert spelled in body, (spelled, body)
