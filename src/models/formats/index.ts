// The registry of native InvokeModel body families and how one is chosen for a call: the
// catalog entry's invokeFormat, else an id-prefix table, else the body's shape. All as data.
import { modelIdFromIdentifier } from "../../spec/arn.ts";
import { isEmbeddingEntry, type InvokeFormat, type ModelEntry } from "../../spec/catalog.ts";
import { BasaltError } from "../../spec/errors.ts";
import type { Warning } from "../../spec/model.ts";
import { anthropicFamily } from "./anthropic.ts";
import { cohereCommandFamily } from "./cohere-command.ts";
import { cohereEmbedFamily } from "./cohere-embed.ts";
import type { InvokeFamily, Json } from "./format.ts";
import { metaLlamaFamily } from "./meta-llama.ts";
import { mistralFamily } from "./mistral.ts";
import { titanEmbedFamily, titanEmbedV1Family } from "./titan-embed.ts";
import { titanTextFamily } from "./titan-text.ts";

export { InvokeStreamMapper, METRICS_KEY, type EmbedFamily, type InvokeFamily, type Json, type ResponseInfo, type TextFamily } from "./format.ts";

/** Each family by its catalog name. */
export const FAMILIES: Record<InvokeFormat, InvokeFamily> = {
  anthropic: anthropicFamily,
  "titan-text": titanTextFamily,
  "titan-embed": titanEmbedFamily,
  "meta-llama": metaLlamaFamily,
  mistral: mistralFamily,
  "cohere-command": cohereCommandFamily,
  "cohere-embed": cohereEmbedFamily,
};

/** Bedrock model-id prefixes → family; the first match wins, so specific prefixes come first. */
export const ID_PREFIXES: ReadonlyArray<readonly [string, InvokeFamily]> = [
  ["anthropic.", anthropicFamily],
  ["amazon.titan-text", titanTextFamily],
  ["amazon.titan-tg1", titanTextFamily],
  ["amazon.titan-embed-text-v1", titanEmbedV1Family],
  ["amazon.titan-embed-g1-text", titanEmbedV1Family],
  ["amazon.titan-embed-text", titanEmbedFamily],
  ["meta.llama", metaLlamaFamily],
  ["mistral.", mistralFamily],
  ["cohere.command", cohereCommandFamily],
  ["cohere.embed", cohereEmbedFamily],
];

/** Cross-region inference profile ids (`us.anthropic.…`) name the model after this prefix. */
const GEO_PREFIX = /^(us|eu|apac|us-gov|global|jp|au|ca)\./;

/** Body shapes, tried in order, for models neither the catalog nor an id prefix places. */
export const BODY_SHAPES: ReadonlyArray<{ when: (body: Json, embedding: boolean) => boolean; family: InvokeFamily }> = [
  { when: (b) => "anthropic_version" in b || "messages" in b, family: anthropicFamily },
  { when: (b, embedding) => "inputText" in b && embedding, family: titanEmbedFamily },
  { when: (b) => "inputText" in b, family: titanTextFamily },
  { when: (b) => "texts" in b, family: cohereEmbedFamily },
  { when: (b) => "message" in b, family: cohereCommandFamily },
  { when: (b) => typeof b.prompt === "string" && b.prompt.trimStart().startsWith("<s>[INST]"), family: mistralFamily },
  { when: (b) => "prompt" in b, family: metaLlamaFamily },
];

/** The family an id names, after ARN and geography prefixes are removed. */
export function familyForId(identifier: string): InvokeFamily | undefined {
  const id = modelIdFromIdentifier(identifier).replace(GEO_PREFIX, "");
  return ID_PREFIXES.find(([prefix]) => id.startsWith(prefix))?.[1];
}

/** Options of {@link chooseFamily}. */
export interface ChooseFamilyOptions {
  entry: ModelEntry;
  /** The identifier the client put in the path, when there is one. */
  identifier?: string;
  body: Json;
}

/**
 * Chooses the body family for a call. The identifier the client used wins, so a model served
 * under several Bedrock names speaks the one it was called by. Without it (CountTokens), the
 * entry's id and aliases name the candidates and the body's shape picks among them.
 */
export function chooseFamily(options: ChooseFamilyOptions): InvokeFamily {
  const { entry, body } = options;
  const called = options.identifier === undefined ? undefined : familyForId(options.identifier);
  const named = [entry.id, ...entry.aliases].map(familyForId).filter((f): f is InvokeFamily => f !== undefined);
  // The id still picks the variant of a configured family (Titan Embeddings v1 vs v2).
  if (entry.invokeFormat) return [called, ...named].find((f) => f?.name === entry.invokeFormat) ?? FAMILIES[entry.invokeFormat];
  if (called) return called;
  const embedding = isEmbeddingEntry(entry);
  const shaped = BODY_SHAPES.find((s) => s.when(body, embedding))?.family;
  if (named.length) return named.find((f) => f.name === shaped?.name) ?? named[0]!;
  if (shaped) return shaped;
  throw new BasaltError(
    "VALIDATION",
    `Malformed input request: the body matches no InvokeModel format this server knows (Anthropic messages, Titan, Llama, Mistral, Cohere). Set invokeFormat on the model ${entry.id} or send a native body.`,
  );
}

/** Warnings for top-level body fields the family does not read: reported, never silently dropped. */
export function unreadFields(family: InvokeFamily, body: Json): Warning[] {
  return Object.keys(body)
    .filter((key) => body[key] !== undefined && !family.fields.includes(key))
    .map((key) => ({ type: "unsupported-setting", setting: key, message: `The ${family.name} body field ${key} is not supported by this server and was ignored.` }));
}
