"""What a face starts, composed from every layer below: one batch of a kind
(``runs.batch.run_batch``, also ``mediakeeper.run_batch``). The command line, the web app
and the watcher call it; it never prints (its ``hooks`` are told) and imports no click."""
