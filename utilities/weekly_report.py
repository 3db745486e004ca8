"""Regenerate weekly progress reports: python utilities/weekly_report.py --help"""

import mediakeeper.cli.startup  # noqa: F401  (first: a Ctrl+C during the imports below exits 130)

# isort: split

from mediakeeper.cli.report import main

if __name__ == "__main__":
    main()
