"""The web face of the toolkit (``mediakeeper serve``): an ASGI app over the same library as
the command line, never imported by it. ``app.build`` makes it; see docs/api.md."""
