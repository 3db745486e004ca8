"""Process the next movies of the movie queue: python utilities/process_movie_batch.py --help"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # its checkout

import mediakeeper.cli.startup  # noqa: F401  (first: a Ctrl+C during the imports below exits 130)

# isort: split

from mediakeeper.cli.main import command_of

main = command_of("movies", "batch")

if __name__ == "__main__":
    main()
