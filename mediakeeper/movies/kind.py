"""The movie kind's record: a movie folder per item, chosen on TMDb by hand where need be."""

from __future__ import annotations

from mediakeeper.core.kind_record import Kind


def _questions():
    """Its decisions (``questions.py``), imported when a decision is listed or taken."""
    from mediakeeper.movies.questions import QUESTIONS

    return QUESTIONS


def _plan():
    """Its batch (``batch.py``), imported when a batch runs."""
    from mediakeeper.movies.batch import PLAN

    return PLAN


def _rewrite(home, slug, document):
    """An item's outputs written again after a decision (``outputs.py``)."""
    from mediakeeper.movies.outputs import write_outputs

    return write_outputs(home, slug, document)


# Its finding codes, by who reports them: code -> (severity, what it means). A public
# contract (docs/findings.md; mediakeeper.core.findings gathers every kind's).
FINDINGS = {
    "movies": {
        "no-video-file": ("error", "no video in the folder (only samples or extras, or none)"),
        "empty-video-file": ("error", "the movie's video file is empty (0 bytes)"),
        "truncated-video-file": ("error", "the movie's video file is cut short (by its headers)"),
        "several-main-files": ("warning", "more than one candidate main video"),
        "missing-year-in-name": ("warning", "the folder name has no year"),
        "ambiguous-match": ("warning", "several TMDb movies fit the title and year"),
        "no-match": ("warning", "no TMDb movie has this title and year"),
        "folder-name-differs": ("info", "the folder is not Title (Year) with TMDb's title"),
        "no-artwork": ("info", "a poster or fanart was not downloaded"),
    },
}


KIND = Kind(
    name="movies",
    noun="movie",
    label="Movie",
    report_template="movie_issues.md.j2",
    findings=FINDINGS,
    package="mediakeeper.movies",
    plan=_plan,
    questions=_questions,
    order=2,
    output_dir=("outputs", "movies"),
    rewrite=_rewrite,
    chosen_by="TMDb",
)
