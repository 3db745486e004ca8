"""Verify the next albums of the verify queue:
python utilities/process_verify_batch.py --help"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run from a checkout

import utilities.startup  # noqa: F401  (first: a Ctrl+C during the imports below exits 130)

# isort: split

from utilities.batch_command import build_batch

main = build_batch("verify")

if __name__ == "__main__":
    main()
