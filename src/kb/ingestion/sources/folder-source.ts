// A bucket backed by a local folder: keys are paths relative to it. Symbolic links inside the
// folder are not followed (a link must not pull files from elsewhere into a knowledge base);
// the folder itself may be a link.
import { lstat, readdir, readFile, realpath, stat } from "node:fs/promises";
import { join, relative, sep } from "node:path";
import { pathToFileURL } from "node:url";
import { SourceError, type DocumentSource, type SourceObject } from "./source.ts";

/** Reads the folder `root` as a bucket. */
export class FolderSource implements DocumentSource {
  readonly description: string;
  constructor(
    private readonly root: string,
    private readonly bucket: string,
  ) {
    this.description = `bucket '${bucket}' (folder ${root})`;
  }

  async *list(prefixes: readonly string[], signal?: AbortSignal): AsyncIterable<SourceObject> {
    let base: string;
    try {
      base = await realpath(this.root);
      if (!(await stat(base)).isDirectory()) throw new Error("not a directory");
    } catch {
      throw new SourceError(`the ${this.description} does not exist`, { permanent: true });
    }
    const wanted = (key: string) => prefixes.length === 0 || prefixes.some((p) => key.startsWith(p));
    const files: SourceObject[] = [];
    const walk = async (dir: string): Promise<void> => {
      signal?.throwIfAborted();
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (entry.isFile()) {
          const key = relative(base, path).split(sep).join("/");
          if (!wanted(key)) continue;
          const info = await lstat(path);
          files.push({ key, uri: `s3://${this.bucket}/${key}`, location: pathToFileURL(path).href, size: info.size, fingerprint: `${info.size}:${Math.trunc(info.mtimeMs)}` });
        }
      }
    };
    await walk(base);
    files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    yield* files;
  }

  async read(key: string): Promise<Buffer> {
    const base = await realpath(this.root);
    const path = join(base, ...key.split("/"));
    if (relative(base, path).startsWith("..")) throw new SourceError(`key '${key}' leaves the folder`);
    return readFile(path);
  }

  async close(): Promise<void> {}
}
