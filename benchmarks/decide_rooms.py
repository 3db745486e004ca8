"""The rooms one ``decide --set`` passes from the command to the byte on disk.

    python benchmarks/decide_rooms.py [--json]

A one-track library is made and checked by an offline music batch (a real subprocess); then
``decide music Artist --set artist=X`` runs in this process, watched through Python's public
hooks: ``sys.setprofile`` sees every call of a ``mediakeeper`` function, and an audit hook
(``sys.addaudithook``) the moment the track is opened to be written. A "room" is a module of
``mediakeeper``, placed in its layer (``tests/contracts/test_layers.py``). Two readings:

* the path: the modules on the call stack at that moment, from the command's function down
  (consecutive frames of one module are one room); a climb is a room in a higher layer than
  the room that called it;
* the walk: every call from one module into another between the command and the byte (a
  generator resumed by its consumer is the consumer's expression, not a call); the modules
  and packages it enters, and the calls into a higher layer (a callback, a hook, a function
  loaded by a dotted name), which the imports alone do not show.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import subprocess
import sys
import tempfile
import traceback
from itertools import pairwise
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.contracts.test_layers import LAYERS, layer_of  # noqa: E402
from tests.helpers.audio import build_library  # noqa: E402

PACKAGE = REPO / "mediakeeper"


def module_of(filename: str) -> str | None:
    """``x.y`` for a file of ``mediakeeper/x/y.py``, None for any other."""
    path = Path(filename).resolve()
    if not path.is_relative_to(PACKAGE):
        return None
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def rooms_of(stack: list[traceback.FrameSummary]) -> list[str]:
    """The modules of ``mediakeeper`` the stack passes through, outermost first, from the
    ``decide`` command's own function on (Click's frames and the interpreter's before it are
    not the product's rooms)."""
    rooms: list[str] = []
    for frame in stack:
        module = module_of(frame.filename)
        if module is None or (not rooms and module != "cli.decide"):
            continue
        if not rooms or rooms[-1] != module:
            rooms.append(module)
    return rooms


class Watch:
    """The calls between modules from the command's function to the track's first write,
    and the stack at that write."""

    def __init__(self, track: Path):
        self.target = os.fsencode(track)
        self.on = False
        self.stack: list[traceback.FrameSummary] = []
        self.calls: list[tuple[str, str]] = []

    def profile(self, frame, event: str, arg) -> None:
        if event != "call" or self.stack or frame.f_code.co_flags & inspect.CO_GENERATOR:
            return
        module = module_of(frame.f_code.co_filename)
        if module is None:
            return
        if module == "cli.decide" and frame.f_code.co_name == "main":
            self.on = True
        caller = frame.f_back
        while caller is not None and module_of(caller.f_code.co_filename) is None:
            caller = caller.f_back
        theirs = module_of(caller.f_code.co_filename) if caller is not None else None
        if self.on and theirs is not None and theirs != module:
            self.calls.append((theirs, module))

    def audit(self, event: str, args: tuple) -> None:
        if self.stack or not self.on or event not in ("open", "os.rename", "os.replace"):
            return
        if isinstance(args[0], int):
            return
        flags = args[2] if event == "open" and len(args) > 2 else os.O_WRONLY
        if os.fsencode(args[0]) == self.target and flags & (os.O_WRONLY | os.O_RDWR):
            self.stack = traceback.extract_stack()


def watched(workdir: Path) -> Watch:
    library, home = workdir / "lib", workdir / "home"
    build_library(library, {"Artist/Loose.flac": {"tags": {"title": "Loose"}}})
    script = REPO / "utilities" / "process_music_batch.py"
    command = [sys.executable, str(script), "--home", str(home), "--library", str(library)]
    batch = subprocess.run([*command, "--offline"], capture_output=True, text=True)
    assert batch.returncode in (0, 1), batch.stdout + batch.stderr
    from mediakeeper.cli.decide import main

    # The same decision as a dry run first (it writes nothing): ``decide`` imports what takes
    # a decision as one is taken, and the walk is of the calls a decision makes, not of the
    # modules' loading.
    main(["--home", str(home), "music", "Artist", "--set", "artist=Someone", "--dry-run"],
         standalone_mode=False)  # fmt: skip
    watch = Watch(library / "Artist" / "Loose.flac")
    sys.addaudithook(watch.audit)
    sys.setprofile(watch.profile)
    try:
        main(["--home", str(home), "music", "Artist", "--set", "artist=Someone"],
             standalone_mode=False)  # fmt: skip
    except SystemExit as done:
        assert not done.code, done.code
    finally:
        sys.setprofile(None)
    assert watch.stack, "the track was never opened to be written"
    return watch


def climbing(pairs) -> list[tuple[str, str]]:
    return list(dict.fromkeys((a, b) for a, b in pairs if (layer_of(b) or 0) > (layer_of(a) or 0)))


def packages_of(modules) -> list[str]:
    return list(dict.fromkeys(module.split(".")[0] for module in modules))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        watch = watched(Path(tmp))
    rooms = rooms_of(watch.stack)
    walked = list(dict.fromkeys(m for call in watch.calls for m in call))
    found = {
        "path": {"rooms": rooms, "packages": packages_of(rooms),
                 "climbs": climbing(pairwise(rooms))},
        "walk": {"modules": len(walked), "packages": packages_of(walked),
                 "climbs": climbing(watch.calls)},
    }  # fmt: skip
    if args.json:
        print(json.dumps(found))
        return
    for room in rooms:
        layer = layer_of(room)
        print(f"  {room:32} {LAYERS[layer][0] if layer is not None else '?'}")
    for reading, what in found.items():
        rooms = what.get("rooms") or [None] * what.get("modules", 0)
        climbs = what["climbs"]
        print(f"{reading}: {len(rooms)} rooms in {len(what['packages'])} packages "
              f"({' > '.join(what['packages'])}), {len(climbs)} climbs back up"
              f"{': ' if climbs else ''}{', '.join(f'{a} -> {b}' for a, b in climbs)}")  # fmt: skip


if __name__ == "__main__":
    main()
