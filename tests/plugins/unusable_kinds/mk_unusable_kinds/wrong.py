"""Entry points naming the wrong kind of object, a built-in kind's name, and a name another
package's kind has (mediakeeper-example-kind's sizes, which comes first: by name, then package)."""

from mediakeeper.core.kind_record import Kind

NOT_A_KIND = {"name": "not-a-kind"}
MUSIC = Kind(name="music", noun="song", label="Song", report_template="")
SIZES = Kind(name="sizes", noun="box", label="Box", report_template="")


def _plan():
    """Its batch, imported when a batch runs: a library that is not installed."""
    import not_installed_batch_library  # noqa: F401


def _actions():
    raise RuntimeError("its queue manager's actions fail to load")


# A kind that loads, whose batch and queue manager cannot be made.
UNLOADABLE = Kind(name="unloadable", noun="box", label="Box", report_template="",
                  package="mk_unusable_kinds", plan=_plan, actions=_actions)  # fmt: skip
