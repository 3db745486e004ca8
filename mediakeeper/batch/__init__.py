"""The engine: the job protocol, runner, workers, sessions, selection."""
