// What music-metadata (the parser many Node players and servers use) reads from a file, as
// one JSON document on standard output: {"chapters": [{"title", "start"}], "tags": {...},
// "format": {...}}, start in seconds. With "--stream", the file is read as a stream, front
// to back without seeking, as a server reads an upload or an HTTP response. With
// "--package NAME", another installed major reads it ("music-metadata-11": package.json's
// alias of 11.x, what npm installs on Node 20; "music-metadata" is 12.x).
import { createReadStream } from "node:fs";

const args = process.argv.slice(2);
const at = args.indexOf("--package");
const name = at >= 0 ? args.splice(at, 2)[1] : "music-metadata";
const [path, mode] = args;
const { parseFile, parseStream } = await import(name);
const options = { includeChapters: true, duration: true };
const meta = mode === "--stream"
  ? await parseStream(createReadStream(path), { mimeType: "audio/mp4" }, options)
  : await parseFile(path, options);
const rate = meta.format.sampleRate;
const chapters = (meta.format.chapters || []).map((c) => ({
  title: c.title,
  start: c.timeScale ? c.start / c.timeScale : c.sampleOffset / rate,
}));
process.stdout.write(JSON.stringify({
  chapters,
  tags: { title: meta.common.title, artist: meta.common.artist, composer: meta.common.composer },
  format: { channels: meta.format.numberOfChannels, bitrate: meta.format.bitrate,
            duration: meta.format.duration, codec: meta.format.codec },
}));
