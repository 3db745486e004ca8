"""Inspect and repair the dupes queue: python utilities/dupes_queue_manager.py --help"""

import mediakeeper.cli.startup  # noqa: F401  (first: a Ctrl+C during the imports below exits 130)

# isort: split

from mediakeeper.cli.main import command_of

main = command_of("dupes", "queue")

if __name__ == "__main__":
    main()
