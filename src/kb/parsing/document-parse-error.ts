// The one error a document parser throws. Its message is a short, human reason that goes
// verbatim into an ingestion job's `failureReasons` (never a stack or a library's internals);
// `reason` is a stable id for code that wants to branch on the kind of failure.
import { BasaltError } from "../../spec/errors.ts";

/** Why a document could not be parsed. */
export type DocumentParseReason =
  | "UNSUPPORTED_TYPE"
  | "EMPTY"
  | "TOO_LARGE"
  | "ENCRYPTED"
  | "MALFORMED"
  | "NEEDS_OCR"
  | "OCR_FAILED"
  | "TIMEOUT"
  | "RESOURCE_LIMIT"
  | "ABORTED";

/** A document that could not be parsed; the job records it and moves on to the next one. */
export class DocumentParseError extends BasaltError {
  readonly reason: DocumentParseReason;

  constructor(reason: DocumentParseReason, message: string, options: { cause?: unknown } = {}) {
    super("VALIDATION", message, options);
    this.reason = reason;
  }
}

const MAX_CAUSE_LENGTH = 160;

/**
 * A library's error message cut down to something fit for a user: its first line, without
 * file-system paths or stack frames, at most 160 characters, first letter lower-cased.
 */
export function shortCause(error: unknown): string {
  const raw = error instanceof Error ? error.message : typeof error === "string" ? error : String(error);
  let text = (raw.split(/\r?\n/)[0] ?? "")
    .replace(/(?:file:\/\/)?\/[^\s'"`:)]+/g, "<path>")
    .replace(/\s+/g, " ")
    .trim()
    .replace(/[.\s]+$/, "");
  if (text === "") return error instanceof Error && error.name !== "Error" ? error.name : "unknown error";
  if (text.length > MAX_CAUSE_LENGTH) text = `${text.slice(0, MAX_CAUSE_LENGTH - 1)}…`;
  // Lower-case the first letter unless the first word is an acronym (PDF, CSV, XML).
  return /^[A-Z][a-z]/.test(text) ? text[0]!.toLowerCase() + text.slice(1) : text;
}

/** A time limit for a message: "250 ms", "2.5 s", "120 s". */
export function durationText(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const seconds = Math.round(ms / 100) / 10;
  return `${seconds} s`;
}
