// A resumable HTTP download into a `.part` file: a Range request continues where an earlier
// attempt stopped, and the first bytes are checked for the GGUF magic so a wrong URL (an HTML
// page, a safetensors file) fails at once rather than after gigabytes.
import { open, rm, stat } from "node:fs/promises";
import { fetch } from "undici";
import { GGUF_MAGIC, hasGgufMagic } from "./gguf-file.ts";

/** Why a download failed; the command turns each kind into advice. */
export type DownloadFailure = "not-found" | "unauthorized" | "http" | "network" | "not-gguf" | "aborted";

/** A failed download. `upstreamCode` is Hugging Face's `x-error-code` header, when sent. */
export class DownloadError extends Error {
  constructor(
    readonly kind: DownloadFailure,
    message: string,
    readonly details: { status?: number; upstreamCode?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "DownloadError";
  }
}

/** Options of {@link downloadToPart}. */
export interface DownloadOptions {
  url: string;
  /** Sent as a bearer token; undici drops it on a cross-origin redirect (to the CDN). */
  token?: string;
  /** The `.part` file; an existing one is resumed. */
  part: string;
  signal?: AbortSignal;
  /** Called once the response arrived, before the first byte is written. */
  onStart?(info: { resumedFrom: number; total?: number }): void;
  /** Called with the bytes in the `.part` file so far. */
  onProgress?(bytes: number): void;
}

/** What a finished download did. */
export interface DownloadResult {
  bytes: number;
  resumedFrom: number;
}

const NETWORK_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNRESET", "EHOSTUNREACH", "ENETUNREACH", "EPIPE"]);

/** The innermost error code of a fetch failure (`fetch failed` wraps the socket error). */
function errorCode(error: unknown): string | undefined {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === "string") return e.code;
  }
  return undefined;
}

function asDownloadError(error: unknown, signal?: AbortSignal): DownloadError {
  if (error instanceof DownloadError) return error;
  if (signal?.aborted) return new DownloadError("aborted", "download interrupted", { cause: error });
  const code = errorCode(error);
  const network = code !== undefined && (NETWORK_CODES.has(code) || code.startsWith("UND_ERR"));
  const reason = code ?? (error as Error).message;
  return new DownloadError(network ? "network" : "http", `${network ? "network error" : "download failed"} (${reason})`, { cause: error });
}

async function sizeOf(path: string): Promise<number> {
  return stat(path).then((s) => s.size, () => 0);
}

/** The total size from a Content-Range header: the number after the slash in `bytes 100-199/1000`. */
function totalFromContentRange(header: string | null): number | undefined {
  const match = /\/(\d+)\s*$/.exec(header ?? "");
  return match ? Number(match[1]) : undefined;
}

/** Downloads `url` into `part`, resuming an existing part; resolves when the file is complete. */
export async function downloadToPart(options: DownloadOptions): Promise<DownloadResult> {
  try {
    return await attempt(options, true);
  } catch (error) {
    throw asDownloadError(error, options.signal);
  }
}

async function attempt(options: DownloadOptions, mayRestart: boolean): Promise<DownloadResult> {
  const { url, part, signal } = options;
  const existing = await sizeOf(part);
  // identity: a compressed body could not be resumed by byte offset.
  const headers: Record<string, string> = { "user-agent": "basalt-cli", "accept-encoding": "identity" };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  if (existing > 0) headers.range = `bytes=${existing}-`;
  const response = await fetch(url, { headers, signal, redirect: "follow" });
  const upstreamCode = response.headers.get("x-error-code") ?? undefined;

  if (response.status === 416 && existing > 0) {
    await response.body?.cancel();
    // The part already holds every byte (an earlier run died just before the rename).
    if (totalFromContentRange(response.headers.get("content-range")) === existing) return { bytes: existing, resumedFrom: existing };
    if (!mayRestart) throw new DownloadError("http", "the server refused to resume the download", { status: 416 });
    await rm(part, { force: true });
    return attempt(options, false);
  }
  if (!response.ok) {
    await response.body?.cancel();
    const kind = response.status === 404 ? "not-found" : response.status === 401 || response.status === 403 ? "unauthorized" : "http";
    throw new DownloadError(kind, `HTTP ${response.status} ${response.statusText}`.trim(), { status: response.status, upstreamCode });
  }

  // 200 to a Range request: the server ignored the range, so start again from byte 0.
  const resumed = response.status === 206 && existing > 0;
  const start = resumed ? existing : 0;
  const total = resumed
    ? totalFromContentRange(response.headers.get("content-range"))
    : Number(response.headers.get("content-length") ?? Number.NaN) || undefined;
  options.onStart?.({ resumedFrom: start, total });

  const file = await open(part, resumed ? "a" : "w");
  let bytes = start;
  try {
    let head = Buffer.alloc(0);
    for await (const chunk of response.body ?? []) {
      const data = chunk as Uint8Array;
      if (bytes === 0 || head.length > 0) {
        // Check the magic as soon as four bytes arrived, across chunk boundaries.
        head = Buffer.concat([head, data]).subarray(0, GGUF_MAGIC.length);
        if (head.length >= GGUF_MAGIC.length) {
          if (!hasGgufMagic(head)) throw new DownloadError("not-gguf", "the file is not in GGUF format (its first bytes are not \"GGUF\")");
          head = Buffer.alloc(0);
        }
      }
      await file.write(data);
      bytes += data.length;
      options.onProgress?.(bytes);
    }
  } finally {
    await file.close();
  }
  if (total !== undefined && bytes < total) {
    throw new DownloadError("network", `the connection closed after ${bytes} of ${total} bytes`);
  }
  return { bytes, resumedFrom: start };
}
