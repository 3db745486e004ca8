"""Pipelines: a YAML file's steps (processors by name) run in order on each album folder of
its input, through a crash-safe working directory (``spec``: the file checked; ``job``: the
steps run; ``catalog``: the built-in and the person's pipelines)."""
