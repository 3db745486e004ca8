"""The batches' sessions, over every kind: python utilities/sessions.py --help"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # its checkout

import mediakeeper.cli.startup  # noqa: F401  (first: a Ctrl+C during the imports below exits 130)

# isort: split

from mediakeeper.cli.sessions import main

if __name__ == "__main__":
    main()
