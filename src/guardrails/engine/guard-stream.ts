// A model's stream of typed parts with a guardrail applied to its text: each text block goes
// through an OutputWindow; when a check blocks, the block ends with the blocked message, the
// model is stopped, and the stream finishes with stopReason guardrail_intervened.
import type { StreamPart, Usage } from "../../spec/model.ts";
import type { ApplyResult } from "./apply.ts";
import { OutputWindow, type OutputWindowOptions } from "./stream-window.ts";

/** Options of {@link guardOutputStream}. */
export interface GuardStreamOptions extends OutputWindowOptions {
  /** Applies the guardrail (source OUTPUT) to one window of text. */
  check: (text: string) => Promise<ApplyResult>;
  blockedMessage: string;
  /** Usage to report when the guardrail stopped the model before it reported its own. */
  usageSoFar: (outputChars: number) => Promise<Usage>;
  /** Told about every check's result (metrics, trace). */
  onResult?: (result: ApplyResult) => void;
}

/** Applies a guardrail to the text of a stream of parts. */
export async function* guardOutputStream(source: AsyncIterable<StreamPart>, options: GuardStreamOptions): AsyncGenerator<StreamPart> {
  const windows = new Map<string, OutputWindow>();
  const check = async (text: string) => {
    const result = await options.check(text);
    options.onResult?.(result);
    return result;
  };
  const windowOf = (id: string): OutputWindow => {
    let window = windows.get(id);
    if (!window) {
      window = new OutputWindow(check, options);
      windows.set(id, window);
    }
    return window;
  };
  let outputChars = 0;
  async function* blocked(id: string): AsyncGenerator<StreamPart> {
    yield { type: "text-delta", id, delta: options.blockedMessage };
    yield { type: "text-end", id };
    yield { type: "finish", finishReason: "guardrail_intervened", usage: await options.usageSoFar(outputChars) };
  }

  const iterator = source[Symbol.asyncIterator]();
  try {
    for (;;) {
      const step = await iterator.next();
      if (step.done) return;
      const part = step.value;
      if (part.type === "text-delta") {
        outputChars += part.delta.length;
        const window = windowOf(part.id);
        const release = await window.push(part.delta);
        if (release) yield { ...part, delta: release };
        if (window.blocked) return yield* blocked(part.id);
      } else if (part.type === "text-end" || part.type === "finish") {
        // A block's end (or the stream's, for providers that end blocks implicitly) flushes its window.
        const ids = part.type === "text-end" ? [part.id] : [...windows.keys()];
        for (const id of ids) {
          const window = windows.get(id);
          if (!window) continue;
          windows.delete(id);
          const release = await window.flush();
          if (release) yield { type: "text-delta", id, delta: release };
          if (window.blocked) return yield* blocked(id);
        }
        yield part;
      } else yield part;
    }
  } finally {
    // Stops the model when the guardrail ended the stream early (a no-op once it finished).
    await iterator.return?.();
  }
}
