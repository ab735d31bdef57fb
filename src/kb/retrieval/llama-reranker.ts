// Cross-encoder reranking with a GGUF reranker model (bge-reranker, jina-reranker, Qwen3-Reranker…)
// run in process by node-llama-cpp's ranking context. A GGUF is a reranker when its header has a
// classification head (`cls.weight` / `cls.output.weight`), the test node-llama-cpp applies too.
// The ranking context is loaded on first use and kept, one per file; it shares the process's one
// llama.cpp runtime (and so its thread budget) with the generation models.
import { readGgufFileInfo, type LlamaModel, type LlamaRankingContext } from "node-llama-cpp";
import type { Logger } from "pino";
import { llamaRuntime, resolveThreads, type LlamaSettings } from "../../models/providers/llama-cpp/runtime.ts";
import { BasaltError } from "../../spec/errors.ts";
import type { Reranker, RerankScores } from "./reranker.ts";

const CLASSIFIER_TENSORS = new Set(["cls.weight", "cls.output.weight"]);
const detected = new Map<string, Promise<boolean>>();

/** Whether the GGUF at `path` is a reranker (has a classification head); cached per path. */
export function isRerankerGguf(path: string): Promise<boolean> {
  let found = detected.get(path);
  if (!found) {
    found = readGgufFileInfo(path, { readTensorInfo: true, sourceType: "filesystem", logWarnings: false, spliceSplitFiles: true }).then(
      (info) => (info.fullTensorInfo ?? info.tensorInfo ?? []).some((t) => CLASSIFIER_TENSORS.has(t.name)),
      () => false,
    );
    detected.set(path, found);
  }
  return found;
}

/** Options of {@link LlamaReranker}. */
export interface LlamaRerankerOptions {
  modelId: string;
  path: string;
  contextSize: number;
  settings: LlamaSettings;
  logger: Logger;
}

interface Loaded {
  model: LlamaModel;
  context: LlamaRankingContext;
}

const loadedByPath = new Map<string, Promise<Loaded>>();

async function load(options: LlamaRerankerOptions): Promise<Loaded> {
  const llama = await llamaRuntime(options.settings, options.logger);
  let model: LlamaModel;
  try {
    model = await llama.loadModel({ modelPath: options.path });
  } catch (error) {
    throw new BasaltError("MODEL_NOT_READY", `The reranker ${options.modelId} could not be loaded.`, { cause: error });
  }
  try {
    const context = await model.createRankingContext({ contextSize: options.contextSize, threads: resolveThreads(options.settings.threads) });
    return { model, context };
  } catch (error) {
    await model.dispose().catch(() => undefined);
    throw new BasaltError("VALIDATION", `The model ${options.modelId} cannot rerank: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}

/** A GGUF reranker scoring each (query, document) pair with llama.cpp's ranking head. */
export class LlamaReranker implements Reranker {
  readonly kind = "cross-encoder" as const;
  readonly modelId: string;

  constructor(private readonly options: LlamaRerankerOptions) {
    this.modelId = options.modelId;
  }

  #loaded(): Promise<Loaded> {
    let loaded = loadedByPath.get(this.options.path);
    if (!loaded) {
      loaded = load(this.options);
      loaded.catch(() => loadedByPath.delete(this.options.path));
      loadedByPath.set(this.options.path, loaded);
    }
    return loaded;
  }

  async score(query: string, documents: readonly string[], options: { signal?: AbortSignal } = {}): Promise<RerankScores> {
    let loaded = await this.#loaded();
    if (loaded.context.disposed) {
      // The runtime was disposed under it (the llama-cpp provider closed): load it again.
      loadedByPath.delete(this.options.path);
      loaded = await this.#loaded();
    }
    const { context } = loaded;
    options.signal?.throwIfAborted();
    let inputTokens = 0;
    for (const document of documents) inputTokens += context.calculateInputLength(query, document);
    // Documents longer than the context are cut into overlapping pieces; the best piece counts.
    const scores = await context.rankAll(query, [...documents], { onOverflow: "maxChunk" });
    return { scores, inputTokens };
  }
}

/** Unloads every reranker model (server shutdown). */
export async function closeLlamaRerankers(): Promise<void> {
  const all = [...loadedByPath.values()];
  loadedByPath.clear();
  await Promise.all(
    all.map(async (p) => {
      const loaded = await p.catch(() => undefined);
      await loaded?.context.dispose();
      await loaded?.model.dispose();
    }),
  );
}
