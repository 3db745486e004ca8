"""Every media queue at a glance: python utilities/media_dashboard.py --help"""

import mediakeeper.cli.startup  # noqa: F401  (first: a Ctrl+C during the imports below exits 130)

# isort: split

from mediakeeper.cli.dashboard import main

if __name__ == "__main__":
    main()
