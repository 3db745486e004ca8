"""Decide what needs you, from the toolkit: python utilities/decide.py --help"""

import mediakeeper.cli.startup  # noqa: F401  (first: a Ctrl+C during the imports below exits 130)

# isort: split

from mediakeeper.cli.decide import main

if __name__ == "__main__":
    main()
