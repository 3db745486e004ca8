"""Keeping watch by itself: the watcher (``watcher``) that follows the libraries and queues
an item only once its folder has settled (``settle``, ``ignore``), with the same refresh rule
as ``--refresh`` (``library``); one watcher per data home (``lock``); the scrub's choice of
albums (``scrub``) and the units that schedule batches and scrubs (``schedule``)."""
