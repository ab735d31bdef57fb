// Offline OCR with tesseract.js: the WebAssembly core comes from tesseract.js-core and the
// English model from @tesseract.js-data/eng (the LSTM "best_int" model, gzipped as shipped),
// both read from node_modules, so nothing is ever fetched. One worker is created on first use,
// serves one image at a time, and is terminated on close(), after an idle period, or when a
// recognition runs past its time limit or is cancelled (the next image starts a fresh one).
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { createWorker, OEM, type Worker } from "tesseract.js";
import { collapseSpace } from "./block-builder.ts";
import { DocumentParseError, durationText, shortCause } from "./document-parse-error.ts";

/** Options of {@link createOcrEngine}. */
export interface OcrEngineOptions {
  /** Time one image may take, in milliseconds. */
  timeoutMs: number;
  /** The worker is terminated after this long without work, in milliseconds. */
  idleMs: number;
}

/** Reads the text of images. */
export interface OcrEngine {
  /**
   * The paragraphs of text in an image (PNG, JPEG, TIFF, BMP or WebP bytes), in reading order.
   * @throws DocumentParseError (OCR_FAILED, TIMEOUT or ABORTED)
   */
  recognize(image: Uint8Array, options?: { signal?: AbortSignal }): Promise<string[]>;
  /** Terminates the worker. */
  close(): Promise<void>;
}

const require = createRequire(import.meta.url);
/** Folder of eng.traineddata.gz: the integer-quantised LSTM model tesseract.js itself defaults to. */
export const ENG_LANG_PATH = join(dirname(require.resolve("@tesseract.js-data/eng/package.json")), "4.0.0_best_int");

// Tesseract scores words 0–100; paragraphs below this are noise from photos, stamps or edges.
const MIN_PARAGRAPH_CONFIDENCE = 30;

interface RecognizedPage {
  blocks?: Array<{ paragraphs: Array<{ text: string; confidence: number }> }> | null;
}

/** Creates an OCR engine; no worker starts until the first image. */
export function createOcrEngine(options: OcrEngineOptions): OcrEngine {
  let worker: Promise<Worker> | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  let idleTimer: NodeJS.Timeout | undefined;
  let closed = false;
  // Interrupts the running recognition on close(): tesseract.js never settles a job whose
  // worker is terminated, so every wait races against this and the time limit.
  const closing = new AbortController();

  const stop = async () => {
    clearTimeout(idleTimer);
    const current = worker;
    worker = undefined;
    if (current) await current.then((w) => w.terminate()).catch(() => undefined);
  };

  const start = () =>
    (worker ??= createWorker("eng", OEM.LSTM_ONLY, {
      langPath: ENG_LANG_PATH,
      cacheMethod: "none",
      gzip: true,
      // Without a handler tesseract.js rethrows a failed job from its message listener,
      // an uncaught exception that would take the whole process down.
      errorHandler: () => undefined,
    }).catch((error: unknown) => {
      worker = undefined;
      throw new DocumentParseError("OCR_FAILED", `the OCR engine could not start: ${shortCause(error)}`, { cause: error });
    }));

  const recognizeOne = async (image: Uint8Array, signal: AbortSignal | undefined): Promise<string[]> => {
    if (closed) throw new DocumentParseError("ABORTED", "the parser is closed");
    if (signal?.aborted) throw new DocumentParseError("ABORTED", "parsing was cancelled");
    clearTimeout(idleTimer);
    let onAbort: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const interrupted = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(new DocumentParseError("TIMEOUT", `OCR of one page took longer than the ${durationText(options.timeoutMs)} limit`));
      }, options.timeoutMs);
      onAbort = () => reject(new DocumentParseError("ABORTED", closed ? "the parser is closed" : "parsing was cancelled"));
      signal?.addEventListener("abort", onAbort, { once: true });
      closing.signal.addEventListener("abort", onAbort, { once: true });
    });
    try {
      const engine = await Promise.race([start(), interrupted]);
      const job = engine.recognize(Buffer.from(image), {}, { text: false, blocks: true }).catch((error: unknown) => {
        throw new DocumentParseError("OCR_FAILED", `the image could not be read by OCR: ${shortCause(error)}`, { cause: error });
      });
      job.catch(() => undefined); // it may settle after the race is lost; that is not an unhandled rejection
      const { data } = await Promise.race([job, interrupted]);
      return paragraphsOf(data as RecognizedPage);
    } catch (error) {
      // A stuck or cancelled recognition can only be stopped with its worker.
      if (error instanceof DocumentParseError && (error.reason === "TIMEOUT" || error.reason === "ABORTED")) await stop();
      throw error;
    } finally {
      clearTimeout(timer);
      if (onAbort) {
        signal?.removeEventListener("abort", onAbort);
        closing.signal.removeEventListener("abort", onAbort);
      }
      if (worker && !closed) {
        idleTimer = setTimeout(() => void stop(), options.idleMs);
        idleTimer.unref();
      }
    }
  };

  return {
    recognize(image, recognizeOptions = {}) {
      const run = queue.then(() => recognizeOne(image, recognizeOptions.signal));
      queue = run.catch(() => undefined);
      return run;
    },
    async close() {
      closed = true;
      closing.abort();
      await queue;
      await stop();
    },
  };
}

function paragraphsOf(page: RecognizedPage): string[] {
  const out: string[] = [];
  for (const block of page.blocks ?? []) {
    for (const paragraph of block.paragraphs) {
      if (paragraph.confidence < MIN_PARAGRAPH_CONFIDENCE) continue;
      // Lines of a scan are layout, not meaning: re-flow them, re-joining hyphenated words.
      const text = collapseSpace(paragraph.text.replace(/(\p{L})-\n(?=\p{Ll})/gu, "$1-"));
      if (text !== "") out.push(text);
    }
  }
  return out;
}
