"""The findings contract: every code of every kind has a severity, a case that fires and a row
in docs/findings.md; one record shape for every kind's outputs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from mediakeeper.changes.change import TagChange
from mediakeeper.core.findings import CODES, KINDS, SEVERITIES, SEVERITY, codes_of, finding_record
from mediakeeper.movies import rules as movie_rules
from mediakeeper.music.rule_base import finding
from tests.integration.test_loudness_albums import FIRES as LOUDNESS_FIRES
from tests.unit.test_audiobook_checks import FIRES as AUDIOBOOK_FIRES
from tests.unit.test_conversion_plan import FIRES as CONVERSION_FIRES
from tests.unit.test_enrich import FIRES as ENRICHMENT_FIRES
from tests.unit.test_fixes import WRITE_FIRES
from tests.unit.test_identify import FIRES as IDENTIFY_FIRES
from tests.unit.test_movie_rules import FIRES as MOVIE_FIRES
from tests.unit.test_rules import FIRES as MUSIC_FIRES
from tests.unit.test_verify_rules import FIRES as VERIFY_FIRES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "findings.md"
# Where each kind's firing cases live: {test file: its list of cases, each (code, ...)}. A code
# that fires elsewhere (while writing, say) gets its list of cases added here.
FIRING = {
    "music": {"tests/unit/test_rules.py": MUSIC_FIRES, "tests/unit/test_fixes.py": WRITE_FIRES,
              "tests/integration/test_loudness_albums.py": LOUDNESS_FIRES},
    "enrichment": {
        "tests/unit/test_enrich.py": ENRICHMENT_FIRES,
        "tests/unit/test_identify.py": IDENTIFY_FIRES,
    },
    "movies": {"tests/unit/test_movie_rules.py": MOVIE_FIRES},
    "conversions": {"tests/unit/test_conversion_plan.py": CONVERSION_FIRES},
    "audiobooks": {"tests/unit/test_audiobook_checks.py": AUDIOBOOK_FIRES},
    "verify": {"tests/unit/test_verify_rules.py": VERIFY_FIRES},
}


def test_every_code_has_a_case_that_fires_and_a_severity() -> None:
    assert set(FIRING) == set(KINDS)
    problems = []
    for kind, lists in FIRING.items():
        fired = set()
        for where, cases in lists.items():
            codes = {case.values[0] for case in cases}
            fired |= codes
            problems += [
                f"{where}: FIRES has a case for {code}, not a {kind} code of CODES"
                for code in sorted(codes - set(codes_of(kind)))
            ]
        problems += [
            f"{code} ({kind}): no case that fires in FIRES of {' or '.join(lists)}"
            for code in codes_of(kind)
            if code not in fired
        ]
    assert not problems, "\n".join(problems)


def test_every_code_is_kebab_case_with_a_severity_a_kind_and_one_line_of_meaning() -> None:
    for code, entry in CODES.items():
        assert re.fullmatch(r"[a-z]+(-[a-z0-9]+)*", code), code
        assert entry.severity in SEVERITIES and SEVERITY[code] == entry.severity, code
        assert entry.kind in KINDS and set(entry.also) <= set(KINDS), code
        assert entry.means and "\n" not in entry.means and "|" not in entry.means, code


def _docs_rows() -> dict[str, list[str]]:
    """docs/findings.md's codes table: code -> [severity, kind, what it means, what fixes it]."""
    rows: dict[str, list[str]] = {}
    lines = DOCS.read_text(encoding="utf-8").splitlines()
    header = "| code | severity | kind | what it means | what fixes it |"
    assert header in lines, f"{DOCS}: no table headed {header}"
    for line in lines[lines.index(header) + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        assert len(cells) == 5, f"{DOCS}: a row without 5 cells: {line}"
        code = cells[0].strip("`")
        assert code not in rows, f"{DOCS}: {code} has two rows"
        rows[code] = cells[1:]
    return rows


def test_the_docs_list_every_code_with_its_severity_kind_and_meaning() -> None:
    rows = _docs_rows()
    problems = []
    for code, entry in CODES.items():
        wanted = [entry.severity, ", ".join(entry.kinds), entry.means]
        if code not in rows:
            problems.append(
                f"docs/findings.md lacks {code}; add the row: "
                f"| `{code}` | {' | '.join(wanted)} | (what fixes it) |"
            )
        elif rows[code][:3] != wanted:
            problems.append(
                f"docs/findings.md says {code} is {rows[code][:3]}, "
                f"mediakeeper/core/findings.py says {wanted}"
            )
    problems += [
        f"docs/findings.md lists {code}, which mediakeeper/core/findings.py's CODES does not have"
        for code in rows
        if code not in CODES
    ]
    problems += [f"docs/findings.md: {code} says nothing of what fixes it" for code, row in
                 rows.items() if not row[3]]
    assert not problems, "\n".join(problems)


def test_music_and_movie_findings_are_recorded_in_one_shape() -> None:
    change = TagChange("A/01.mp3", "title", None, "One")
    music = finding("missing-title", "A/01.mp3", "A", "No title.", [change], tag="title")
    movie = movie_rules.no_artwork("poster.jpg", "TMDb has no poster for this movie")
    keys = ["code", "severity", "path", "album", "message", "fixable", "fixed", "not_written"]
    keys += ["changes", "details"]
    assert list(finding_record(music)) == list(finding_record(movie)) == keys
    assert finding_record(music) | {"changes": None} == {
        "code": "missing-title",
        "severity": "error",
        "path": "A/01.mp3",
        "album": "A",
        "message": "No title.",
        "fixable": True,
        "fixed": False,
        "not_written": None,
        "changes": None,
        "details": {"tag": "title"},
    }
    assert finding_record(music)["changes"] == [
        {"path": "A/01.mp3", "tag": "title", "old": None, "new": "One"}
    ]
    record = finding_record(movie)
    assert (record["severity"], record["path"], record["fixable"]) == ("info", "poster.jpg", False)


def test_the_findings_module_is_a_low_layer(child_env) -> None:
    """Shared vocabulary: importing it pulls in of a kind's package only its record (its
    ``kind.py``, which declares its codes), never its rules or its job."""
    code = (
        "import sys, mediakeeper.core.findings\n"
        "print(' '.join(m for m in sys.modules if m.startswith(('mediakeeper.music.',"
        " 'mediakeeper.movies.')) and not m.endswith('.kind')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=child_env, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
