"""Inspect and repair the movie queue: python utilities/movie_queue_manager.py --help"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import utilities.startup  # noqa: F401  (first: a Ctrl+C during the imports below exits 130)

# isort: split

from mediakeeper.cli.queue_manager import build

main = build("movies")

if __name__ == "__main__":
    main()
