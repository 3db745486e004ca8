"""Each kind's own command-line part, a module named after the kind: what its batch command
adds (``BATCH``: its options, its --help, its dry run's lines) and its queue manager's own
actions (``QUEUE_ACTIONS``). The kind itself, its plan and its job, are its package's."""
