// A catalog entry describes one model Basalt serves: its Bedrock-facing identity and its
// capabilities. Quirks are data here, never `modelId.includes(...)` checks in code.

/** Modalities as Bedrock names them. */
export type Modality = "TEXT" | "IMAGE" | "EMBEDDING" | "VIDEO" | "SPEECH";

/** Bedrock's inference types. */
export type InferenceType = "ON_DEMAND" | "PROVISIONED";

/** Native InvokeModel body families (bedrock-wire.md §4). */
export const INVOKE_FORMATS = [
  "anthropic",
  "titan-text",
  "titan-embed",
  "meta-llama",
  "mistral",
  "cohere-command",
  "cohere-embed",
] as const;
/** One native InvokeModel body family. */
export type InvokeFormat = (typeof INVOKE_FORMATS)[number];

/** Everything the API layer needs to know about a model. */
export interface ModelEntry {
  /** The id clients use (`anthropic.claude-3-haiku-20240307-v1:0`, `basalt.stories-260k`). */
  id: string;
  /** Other ids that resolve to this model. */
  aliases: string[];
  name: string;
  providerName: string;
  inputModalities: Modality[];
  outputModalities: Modality[];
  streaming: boolean;
  /** Accepts tool definitions and returns tool calls. */
  tools: boolean;
  /** Accepts image blocks. */
  vision: boolean;
  /** Accepts document blocks. */
  documents: boolean;
  /** Maximum context length in tokens, when known. */
  contextLength?: number;
  /** Default output dimensions of an embedding model. */
  embeddingDimensions?: number;
  /** Dimensions an embedding model can produce (Titan v2 style), when several. */
  supportedDimensions?: number[];
  /** The InvokeModel body family this model speaks; unset: chosen by id prefix, then by body shape. */
  invokeFormat?: InvokeFormat;
  lifecycle: "ACTIVE" | "LEGACY";
  inferenceTypes: InferenceType[];
}

/** True when the entry produces embeddings rather than text. */
export function isEmbeddingEntry(entry: ModelEntry): boolean {
  return entry.outputModalities.includes("EMBEDDING");
}
