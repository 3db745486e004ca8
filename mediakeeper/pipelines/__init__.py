"""Pipelines: a YAML file's steps (processors by name) run in order on each album folder of
its input, through a crash-safe working directory (``spec``: the file checked; ``job``: the
steps run; ``catalog``: the built-in and the person's pipelines)."""

# What a pipeline's session records of the file it ran (``catalog.recorded``), which
# ``sessions show`` prints and ``sessions resume`` runs again; here, so reading a session
# does not import the pipelines' steps and their checks.
FILE, DIGEST = "pipeline_file", "pipeline_sha256"
KIND_PREFIX = "pipeline-"  # a pipeline's queue kind: pipeline-<name> (``spec.Pipeline.kind``)
