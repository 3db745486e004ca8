"""Pure processors: input files and parameters in, output files and a result out. They never
touch a queue, a session or a journal; a job runs them and records what they return."""
