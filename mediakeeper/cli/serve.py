"""``mediakeeper serve``: the web app and API over a data home (``mediakeeper.web``), under
uvicorn. The web packages are imported only here, when it runs: a batch never loads them."""

from __future__ import annotations

import click

from mediakeeper.cli.command import Command, home_option
from mediakeeper.core.config import existing_home, load_settings
from mediakeeper.core.errors import UsageError
from mediakeeper.core.extras import require
from mediakeeper.core.tokens import MAKE_A_TOKEN, checked_token
from mediakeeper.system import collector
from mediakeeper.system.network import is_loopback, listen
from mediakeeper.text.visible import one_line

GRACE = 3  # seconds open streams get to close once the server is told to stop


@click.command(cls=Command, reads_home=True,
               context_settings={"help_option_names": ["-h", "--help"]})  # fmt: skip
@home_option
@click.option("--host", metavar="HOST", help="The address to bind ([serve] host: 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), metavar="PORT",
              help="The port to listen on ([serve] port: 8000).")  # fmt: skip
def main(home, host, port):
    """Serve the dashboard page, the API (docs/api.md), live events and metrics for the data
    home. Bound to loopback unless told; any other address needs [serve] token (sent as
    Authorization: Bearer TOKEN). Ctrl+C or SIGTERM stops it; batches it started go on."""
    require("web", "mediakeeper serve")
    settings = load_settings(existing_home(home), {"serve": {"host": host, "port": port}})
    host, port = settings.get("serve", "host"), settings.get("serve", "port")
    token = checked_token(settings.get("serve", "token"))
    base = settings.get("serve", "base_path")
    if not is_loopback(host) and not token:
        raise UsageError(
            f"binding to {host} without a token would open the home to the network",
            "set [serve] token in mediakeeper.toml (or MEDIAKEEPER_SERVE_TOKEN; "
            f"{MAKE_A_TOKEN}), or bind to 127.0.0.1",
        )
    if base and not base.startswith("/"):
        raise UsageError(f"[serve] base_path must start with '/', not {base!r}")
    with collector.loading():
        import uvicorn

        from mediakeeper.web.app import build
        from mediakeeper.web.security import EVERY_ADDRESS, page_host

    app = build(settings, host=host, token=token, base_path=base)
    sockets = listen(host, port)  # bound before "Serving" is said (a port in use: exit 2)
    every = " (and this machine's every address)" if host in EVERY_ADDRESS else ""
    click.echo(f"Serving {one_line(str(settings.home))} at http://{page_host(host)}:{port}{base.rstrip('/')}/"
               f"{every} (Ctrl+C stops)")  # fmt: skip
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on",
                            timeout_graceful_shutdown=GRACE, proxy_headers=False)  # fmt: skip
    uvicorn.Server(config).run(sockets=sockets)


if __name__ == "__main__":
    main()
