// Loading one GGUF entry into memory: the weights, a generation context with one sequence per
// parallel slot (or an embedding context), and the chat wrapper that renders its template.
// Every failure becomes a BasaltError that says what to fix; nothing here may crash the server.
import { open, stat } from "node:fs/promises";
import { basename } from "node:path";
import {
  InsufficientMemoryError,
  JinjaTemplateChatWrapper,
  readGgufFileInfo,
  resolveChatWrapper,
  type ChatWrapper,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaEmbeddingContext,
  type LlamaModel,
} from "node-llama-cpp";
import type { ModelConfigOf } from "../../../config/schema.ts";
import { BasaltError } from "../../../spec/errors.ts";

/** A llama-cpp model entry of the configuration. */
export type LlamaCppModelConfig = ModelConfigOf<"llama-cpp">;

/** A model held in memory, ready to serve. */
export interface LoadedModel {
  readonly llama: Llama;
  readonly model: LlamaModel;
  /** One sequence per parallel slot; empty for embedding entries. */
  readonly sequences: LlamaContextSequence[];
  readonly embeddingContext?: LlamaEmbeddingContext;
  /** The chat template renderer; null when the GGUF has none (plain completion of the conversation). */
  readonly chatWrapper: ChatWrapper | null;
  /** Tokens one sequence can hold. */
  readonly contextSize: number;
  dispose(): Promise<void>;
}

/** Options of {@link loadModel}. */
export interface LoadOptions {
  llama: Llama;
  config: LlamaCppModelConfig;
  threads: number;
  parallel: number;
}

const GGUF_MAGIC = "GGUF";
/** The least a tensor's header entry takes: name length, dimension count, type and offset. */
const MIN_TENSOR_INFO_BYTES = 24n;

async function checkFile(config: LlamaCppModelConfig): Promise<void> {
  const file = basename(config.path);
  let magic: string;
  try {
    const handle = await open(config.path, "r");
    try {
      const { buffer, bytesRead } = await handle.read(Buffer.alloc(4), 0, 4, 0);
      magic = buffer.subarray(0, bytesRead).toString("latin1");
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new BasaltError(
      "MODEL_NOT_READY",
      `The model ${config.id} is not available: its file ${file} cannot be read. Place the GGUF file at the configured path and retry.`,
      { cause: error },
    );
  }
  const notGguf = new BasaltError("VALIDATION", `The model ${config.id} cannot be served: its file ${file} is not a GGUF model.`);
  if (magic !== GGUF_MAGIC) throw notGguf;
  // A damaged header can claim more tensors than the file could describe; llama.cpp then
  // spins on it instead of failing (seen with a 15-byte file), so the header is checked here.
  try {
    const [info, { size }] = await Promise.all([
      readGgufFileInfo(config.path, { readTensorInfo: false, logWarnings: false, spliceSplitFiles: false }),
      stat(config.path),
    ]);
    if (!info.metadata.general?.architecture || BigInt(info.tensorCount) * MIN_TENSOR_INFO_BYTES > BigInt(size)) throw notGguf;
  } catch (error) {
    throw error === notGguf ? notGguf : new BasaltError("VALIDATION", notGguf.message, { cause: error });
  }
}

function chatWrapperFor(model: LlamaModel, config: LlamaCppModelConfig): ChatWrapper | null {
  if (config.chatTemplate !== undefined) {
    try {
      return new JinjaTemplateChatWrapper({ template: config.chatTemplate, tokenizer: model.tokenizer });
    } catch (error) {
      throw new BasaltError("VALIDATION", `The chatTemplate of model ${config.id} is not a usable Jinja chat template.`, { cause: error });
    }
  }
  // Only a template in the file counts: node-llama-cpp would otherwise guess a wrapper from the
  // file name, and a base model such as stories260K must see the bare conversation text.
  if (!model.fileInfo.metadata.tokenizer?.chat_template) return null;
  return resolveChatWrapper(model);
}

/** Loads a GGUF entry; throws MODEL_NOT_READY or VALIDATION with a clear message on failure. */
export async function loadModel(options: LoadOptions): Promise<LoadedModel> {
  const { llama, config, threads, parallel } = options;
  await checkFile(config);
  let model: LlamaModel;
  try {
    model = await llama.loadModel({ modelPath: config.path });
  } catch (error) {
    if (error instanceof InsufficientMemoryError) {
      throw new BasaltError("MODEL_NOT_READY", `The model ${config.id} does not fit in memory now; unload other models or lower llama.maxLoadedModels.`, { cause: error });
    }
    throw new BasaltError("VALIDATION", `The model ${config.id} could not be loaded: ${basename(config.path)} is damaged or of an unsupported architecture.`, { cause: error });
  }
  let context: LlamaContext | undefined;
  let embeddingContext: LlamaEmbeddingContext | undefined;
  try {
    const chatWrapper = config.embedding ? null : chatWrapperFor(model, config);
    if (config.embedding) {
      embeddingContext = await model.createEmbeddingContext({ contextSize: config.contextSize, threads });
    } else {
      context = await model.createContext({ contextSize: config.contextSize, sequences: parallel, threads, failedCreationRemedy: false });
    }
    const sequences = context ? Array.from({ length: parallel }, () => context!.getSequence()) : [];
    return {
      llama,
      model,
      sequences,
      embeddingContext,
      chatWrapper,
      contextSize: context?.contextSize ?? config.contextSize,
      async dispose() {
        await context?.dispose();
        await embeddingContext?.dispose();
        await model.dispose();
      },
    };
  } catch (error) {
    await context?.dispose().catch(() => undefined);
    await model.dispose().catch(() => undefined);
    if (error instanceof BasaltError) throw error;
    throw new BasaltError(
      "MODEL_NOT_READY",
      `The model ${config.id} could not get a ${config.contextSize}-token context; lower its contextSize or llama.parallel.`,
      { cause: error },
    );
  }
}
