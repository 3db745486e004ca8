"""Files: atomic writes, replacing a user's file, checks, attributes, names, links, working
directories."""
