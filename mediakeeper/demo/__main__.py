"""``python -m mediakeeper.demo``: the demo (``walkthrough.py``)."""

import sys

from mediakeeper.demo.walkthrough import main

sys.exit(main())
