"""A kind whose import fails."""

raise ImportError("this kind needs a library that is not installed")
