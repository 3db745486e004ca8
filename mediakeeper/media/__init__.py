"""The media layer: ffmpeg (found, run, killed with its worker), the working directory of a
conversion (copies verified, folders placed atomically) and the pure processors. Nothing
here touches a queue, a session or a kind."""
