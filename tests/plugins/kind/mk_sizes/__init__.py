"""An example mediakeeper kind: each folder's files and bytes counted."""
