"""The batches' sessions, over every kind: python utilities/sessions.py --help"""

import mediakeeper.cli.startup  # noqa: F401  (first: a Ctrl+C during the imports below exits 130)

# isort: split

from mediakeeper.cli.sessions import main

if __name__ == "__main__":
    main()
