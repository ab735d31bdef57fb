// Invocation log records in the data directory, encrypted at rest (they hold prompts and
// answers): one file per account, region and UTC day, `<dir>/<account>/<region>/<YYYY-MM-DD>.jsonl.enc`,
// each line one record sealed under the account's data key (sealed-text.ts) and bound to the
// file's region and day. The reader decrypts them for an operator (`basalt usage logs`).
// Records delivered to the user's own S3 bucket stay plaintext JSON Lines, as Bedrock delivers
// them (object-store-log-sink.ts; docs/decisions/0011-encryption-at-rest.md).
import { createReadStream } from "node:fs";
import { readdir } from "node:fs/promises";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { BasaltError } from "../spec/errors.ts";
import type { EnvelopeEncryption } from "../store/crypto/envelope-encryption.ts";
import { openText, SEALED_TEXT_PREFIX, sealText } from "../store/crypto/sealed-text.ts";
import type { InvocationLogRecord, InvocationLogSink } from "./invocation-log-writer.ts";
import { JsonlAppender } from "./jsonl-appender.ts";

/** How the name of every encrypted log file ends. */
export const LOG_FILE_SUFFIX = ".jsonl.enc";
const LOG_FILE = /^(\d{4}-\d{2}-\d{2})\.jsonl\.enc$/;

/** Keeps path segments to safe characters: ids come from requests. */
const segment = (text: string) => text.replace(/[^A-Za-z0-9._-]/g, "_").replace(/^\.+/, "_") || "_";

/** What a line is bound to besides its account: the file's region and day, so a line moved to another file does not open. */
const lineContext = (region: string, day: string) => `basalt:invocation-log/${region}/${day}`;

/** Options of {@link FileInvocationLogSink}. */
export interface FileInvocationLogSinkOptions {
  dir: string;
  encryption: EnvelopeEncryption;
}

/** Appends sealed records to `<dir>/<accountId>/<region>/<YYYY-MM-DD>.jsonl.enc`. */
export class FileInvocationLogSink implements InvocationLogSink {
  readonly dir: string;
  private readonly encryption: EnvelopeEncryption;
  private readonly appender = new JsonlAppender();

  constructor(options: FileInvocationLogSinkOptions) {
    this.dir = options.dir;
    this.encryption = options.encryption;
  }

  /** The file a record goes to. */
  pathOf(record: InvocationLogRecord): string {
    return join(this.dir, segment(record.accountId), segment(record.region), `${record.timestamp.slice(0, 10)}${LOG_FILE_SUFFIX}`);
  }

  /** Seals and appends a record; with the account's key unusable it rejects (KEY_UNAVAILABLE) and writes nothing. */
  async write(record: InvocationLogRecord): Promise<void> {
    const context = lineContext(segment(record.region), record.timestamp.slice(0, 10));
    const line = await sealText(this.encryption, { accountId: record.accountId, context, plaintext: JSON.stringify(record) });
    return this.appender.appendLine(this.pathOf(record), line);
  }

  close(): Promise<void> {
    return this.appender.flush();
  }
}

/** One log file: whose, where from and which day. */
export interface InvocationLogFile {
  accountId: string;
  region: string;
  /** UTC day, YYYY-MM-DD. */
  day: string;
  path: string;
}

/** Which files to read: all by default; days are inclusive. */
export interface InvocationLogSelection {
  dir: string;
  accountId?: string;
  region?: string;
  from?: string;
  to?: string;
}

/** A line that did not open: torn by a crash mid-write, or altered. */
export interface UnreadableLine {
  path: string;
  /** 1-based. */
  line: number;
  reason: string;
}

async function entries(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

/** The log files under `dir` that the selection names, by account, region and day. */
export async function listInvocationLogFiles(selection: InvocationLogSelection): Promise<InvocationLogFile[]> {
  const files: InvocationLogFile[] = [];
  const accounts = selection.accountId === undefined ? await entries(selection.dir) : [segment(selection.accountId)];
  for (const accountId of accounts) {
    const regions = selection.region === undefined ? await entries(join(selection.dir, accountId)) : [segment(selection.region)];
    for (const region of regions) {
      let names: string[];
      try {
        names = (await readdir(join(selection.dir, accountId, region))).sort();
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") continue;
        throw error;
      }
      for (const name of names) {
        const day = LOG_FILE.exec(name)?.[1];
        if (!day || (selection.from && day < selection.from) || (selection.to && day > selection.to)) continue;
        files.push({ accountId, region, day, path: join(selection.dir, accountId, region, name) });
      }
    }
  }
  return files;
}

/**
 * Decrypts the records of the selected files, oldest day first, in the order written. A line
 * that does not open is passed to `onUnreadable` and skipped; an unusable key (KEY_UNAVAILABLE) throws.
 */
export async function* readInvocationLogs(
  options: InvocationLogSelection & { encryption: EnvelopeEncryption; onUnreadable?: (line: UnreadableLine) => void },
): AsyncGenerator<InvocationLogRecord> {
  const files = (await listInvocationLogFiles(options)).sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0));
  for (const file of files) {
    const context = lineContext(file.region, file.day);
    const lines = createInterface({ input: createReadStream(file.path, "utf8"), crlfDelay: Infinity });
    let number = 0;
    for await (const line of lines) {
      number++;
      // A write torn by a crash leaves a partial line that the next write continues: base64 has
      // no ':', so each `bslt:` starts a record of its own and the whole one after it survives.
      for (const sealed of line.split(new RegExp(`(?=${SEALED_TEXT_PREFIX})`)).filter(Boolean)) {
        let text: string;
        try {
          text = await openText(options.encryption, { accountId: file.accountId, context, sealed });
        } catch (error) {
          if (!(error instanceof BasaltError) || error.code === "KEY_UNAVAILABLE") throw error;
          options.onUnreadable?.({ path: file.path, line: number, reason: error.message });
          continue;
        }
        yield JSON.parse(text) as InvocationLogRecord;
      }
    }
  }
}
