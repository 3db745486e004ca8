"""The kind's one record: what mediakeeper reads of it to make its queue, its commands
(``mediakeeper sizes batch|queue``), its settings section and its finding codes."""

from mediakeeper.core.kind_record import Kind


def _plan():
    """Its batch, imported when a batch runs (mediakeeper's --help stays quick)."""
    from mk_sizes.batch import PLAN

    return PLAN


def _actions():
    """Its queue manager's own action (--largest), imported when a queue manager is built."""
    from mk_sizes.batch import LARGEST

    return (LARGEST,)


KIND = Kind(
    name="sizes",
    noun="folder",
    label="Folder",
    report_template="",  # it writes no issue report
    package="mk_sizes",
    plan=_plan,
    actions=_actions,
    order=50,
    settings={"smallest": 0},  # [sizes] smallest: a folder of fewer bytes is a finding
    findings={"sizes": {"small-folder": ("info", "a folder smaller than [sizes] smallest")}},
)
