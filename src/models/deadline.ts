// Bounds every model call in time. generate() gets an overall deadline; stream() an idle
// deadline between parts (which also bounds time to first token). When it passes, the
// provider's request is aborted and the caller gets ModelTimeoutException. Models that say
// they enforce deadlines (the upstream HTTP providers, by their configured timeout) are left
// unwrapped: the call path then has no layer here at all.
import { BasaltError } from "../spec/errors.ts";
import { cancellationOf, listenForAbort, type Cancellation, type GenerateRequest, type GenerateResult, type LanguageModel, type StreamPart } from "../spec/model.ts";

/**
 * A controller that also aborts when `parent` does. Cheaper than AbortSignal.any on the
 * request hot path; `release` detaches the listener once the call is over.
 */
function linkedController(parent: Cancellation | undefined): { controller: AbortController; release: () => void } {
  const controller = new AbortController();
  const listener = listenForAbort(parent, (reason) => controller.abort(reason));
  return { controller, release: () => listener && parent?.removeEventListener("abort", listener) };
}

/** The error of a model call that ran past its deadline. */
export function timeoutError(timeoutMs: number): BasaltError {
  return new BasaltError("MODEL_TIMEOUT", `Model has timed out in processing the request (no response in ${timeoutMs} ms).`);
}

/** Wraps a language model so that its calls cannot outlive `timeoutMs`. */
export function withDeadline(model: LanguageModel, timeoutMs: number): LanguageModel {
  if (model.enforcesDeadline) return model;
  return {
    modelId: model.modelId,
    countTokens: (request) => model.countTokens(request),
    generate: (request) => raceDeadline(model, request, timeoutMs),
    stream: (request) => idleBounded(model, request, timeoutMs),
  };
}

/** Races a model that does not time itself against the deadline, aborting it when the deadline passes. */
async function raceDeadline(model: LanguageModel, request: GenerateRequest, timeoutMs: number): Promise<GenerateResult> {
  const { controller, release } = linkedController(cancellationOf(request));
  const signal = controller.signal;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort(timeoutError(timeoutMs));
      reject(timeoutError(timeoutMs));
    }, timeoutMs);
  });
  try {
    return await Promise.race([model.generate({ ...request, signal }), deadline]);
  } finally {
    clearTimeout(timer);
    release();
  }
}

/** A stream whose parts must each come within `timeoutMs` (the first one too). */
async function* idleBounded(model: LanguageModel, request: GenerateRequest, timeoutMs: number): AsyncIterable<StreamPart> {
  const { controller, release } = linkedController(cancellationOf(request));
  const iterator = model.stream({ ...request, signal: controller.signal })[Symbol.asyncIterator]();
  // One timer per stream, refreshed on every part, and one promise it rejects: a stream
  // carries thousands of parts, so nothing here is allocated per part but the race.
  let expire: (error: BasaltError) => void = () => undefined;
  const idle = new Promise<never>((_, reject) => (expire = reject));
  idle.catch(() => undefined);
  const timer = setTimeout(() => {
    const error = timeoutError(timeoutMs);
    controller.abort(error);
    expire(error);
  }, timeoutMs);
  let finished = false;
  try {
    while (true) {
      const next = await Promise.race([iterator.next(), idle]);
      if (next.done) {
        finished = true;
        return;
      }
      yield next.value;
      timer.refresh(); // the consumer's time writing the part does not count as model time
    }
  } finally {
    clearTimeout(timer);
    release();
    // Only a stream left early needs its upstream call cancelled (an abort also builds a
    // DOMException with a stack: too costly to do at the end of every stream).
    if (!finished) {
      if (!controller.signal.aborted) controller.abort();
      void iterator.return?.();
    }
  }
}
