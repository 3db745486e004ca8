"""The movie kind's record: a movie folder per item, chosen on TMDb by hand where need be."""

from __future__ import annotations

from mediakeeper.core.kind_record import Kind

KIND = Kind(
    name="movies",
    noun="movie",
    label="Movie",
    job="mediakeeper.movies.job:MovieJob",
    report_template="movie_issues.md.j2",
    package="mediakeeper.movies",
    batch="mediakeeper.movies.batch:PLAN",
    order=2,
    output_dir=("outputs", "movies"),
    rewrite="mediakeeper.movies.outputs:write_outputs",
    chosen_by="TMDb",
)
