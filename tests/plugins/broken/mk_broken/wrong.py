"""Entry points naming the wrong kind of object, and a processor named as a built-in."""

from mediakeeper.core.rule_plugins import RulePlugin
from mediakeeper.pipelines.steps.registry import Processor

NOT_A_PROCESSOR = "a string, not a processor"
NOT_A_RULE = lambda ctx: ()  # noqa: E731 - a bare function, not a RulePlugin


def _run(context, inputs, out, params):
    raise AssertionError("a plugin must never replace the built-in convert")


CONVERT = Processor("convert", "a plugin that would take the built-in's place", _run)


def _no_findings(ctx):
    return ()


# A rule plugin whose code has no severity mediakeeper knows.
BAD_CODES = RulePlugin(codes={"odd": ("fatal", "not a severity")}, rule=_no_findings)
