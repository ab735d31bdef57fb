// Bounds every model call in time. generate() gets an overall deadline; stream() an idle
// deadline between parts (which also bounds time to first token). When it passes, the
// provider's request is aborted and the caller gets ModelTimeoutException.
import { BasaltError } from "../spec/errors.ts";
import type { GenerateRequest, LanguageModel, StreamPart } from "../spec/model.ts";

function timeoutError(timeoutMs: number): BasaltError {
  return new BasaltError("MODEL_TIMEOUT", `Model has timed out in processing the request (no response in ${timeoutMs} ms).`);
}

/** Wraps a language model so that its calls cannot outlive `timeoutMs`. */
export function withDeadline(model: LanguageModel, timeoutMs: number): LanguageModel {
  return {
    modelId: model.modelId,
    countTokens: (request) => model.countTokens(request),

    async generate(request: GenerateRequest) {
      const controller = new AbortController();
      const signal = request.signal ? AbortSignal.any([request.signal, controller.signal]) : controller.signal;
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
      }
    },

    async *stream(request: GenerateRequest): AsyncIterable<StreamPart> {
      const controller = new AbortController();
      const signal = request.signal ? AbortSignal.any([request.signal, controller.signal]) : controller.signal;
      const iterator = model.stream({ ...request, signal })[Symbol.asyncIterator]();
      let timer: NodeJS.Timeout | undefined;
      try {
        while (true) {
          const idle = new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
              controller.abort(timeoutError(timeoutMs));
              reject(timeoutError(timeoutMs));
            }, timeoutMs);
          });
          const next = await Promise.race([iterator.next(), idle]);
          clearTimeout(timer);
          if (next.done) return;
          yield next.value;
        }
      } finally {
        clearTimeout(timer);
        if (!controller.signal.aborted) controller.abort();
        void iterator.return?.();
      }
    },
  };
}
