"""Inspect and repair the verify queue: python utilities/verify_queue_manager.py --help"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import utilities.startup  # noqa: F401  (first: a Ctrl+C during the imports below exits 130)

# isort: split

from utilities.queue_manager import build

main = build("verify")

if __name__ == "__main__":
    main()
