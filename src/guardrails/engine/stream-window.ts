// Guarding streamed output over a sliding window, so that a phone number or a banned word split
// across chunks is still caught. Synchronous mode holds text back until it has been checked: each
// check sees the held-back tail of the previous window plus what arrived since, and releases all
// but a tail long enough to contain any entity still being written. Asynchronous mode releases
// text at once and checks behind it (masking is then impossible, as on Bedrock), with an overlap
// so a match across two windows is seen whole.
import type { ApplyResult } from "./apply.ts";
import { applyMasks } from "./apply.ts";

/** Bedrock's two stream processing modes. */
export type StreamProcessingMode = "sync" | "async";

/** Options of {@link OutputWindow}. */
export interface OutputWindowOptions {
  mode: StreamProcessingMode;
  /** New characters that trigger a check (default 256). */
  chunkChars?: number;
  /** Characters held back (sync) or overlapped (async) between checks: longer than any entity or phrase we must catch whole (default 128). */
  holdbackChars?: number;
}

/** One text block's window. */
export class OutputWindow {
  private pending = "";
  private overlap = "";
  private readonly chunkChars: number;
  private readonly holdbackChars: number;
  /** Every check's result, in order (the trace's outputAssessments). */
  readonly results: ApplyResult[] = [];
  /** Set once a check blocked: nothing more is released. */
  blocked: ApplyResult | undefined;

  constructor(
    private readonly check: (text: string) => Promise<ApplyResult>,
    private readonly options: OutputWindowOptions,
  ) {
    this.chunkChars = options.chunkChars ?? 256;
    this.holdbackChars = options.holdbackChars ?? 128;
  }

  /** Adds a delta; returns the text that may be sent now ("" while holding, or once blocked). */
  async push(delta: string): Promise<string> {
    if (this.blocked) return "";
    this.pending += delta;
    if (this.options.mode === "async") {
      if (this.pending.length >= this.chunkChars) await this.checkBehind();
      return delta;
    }
    if (this.pending.length < this.chunkChars + this.holdbackChars) return "";
    return this.checkAhead(false);
  }

  /** Checks what is left at the end of the block; returns the text still to send. */
  async flush(): Promise<string> {
    if (this.blocked || this.pending.length === 0) return "";
    if (this.options.mode === "async") {
      await this.checkBehind();
      return "";
    }
    return this.checkAhead(true);
  }

  /** Sync: checks the pending text and releases all of it but the held-back tail (masked). */
  private async checkAhead(final: boolean): Promise<string> {
    const text = this.pending;
    const result = await this.check(text);
    this.results.push(result);
    if (result.blocked) {
      this.blocked = result;
      this.pending = "";
      return "";
    }
    // The checked text is the last block: grounding sources and the query may come before it.
    const masks = result.masks.at(-1) ?? [];
    let cut = final ? text.length : text.length - this.holdbackChars;
    // Never cut through a masked entity, nor between the halves of a surrogate pair.
    for (const mask of masks) if (mask.start < cut && mask.end > cut) cut = mask.end;
    if (cut < text.length && isLowSurrogate(text.charCodeAt(cut))) cut--;
    this.pending = text.slice(cut);
    return applyMasks(text.slice(0, cut), masks.filter((m) => m.end <= cut));
  }

  /** Async: checks what was already sent, with the previous window's tail for context. */
  private async checkBehind(): Promise<void> {
    const text = this.overlap + this.pending;
    this.pending = "";
    this.overlap = text.slice(-this.holdbackChars);
    const result = await this.check(text);
    this.results.push(result);
    if (result.blocked) this.blocked = result;
  }
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
