"""The durable JSON queue: store, claims, checkpoints, files, items, manager."""
