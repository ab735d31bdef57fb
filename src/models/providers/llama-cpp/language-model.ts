// A configured GGUF as a LanguageModel: each call leases the model from the pool (loading it
// on first use) and one of its sequences in FIFO order, renders the prompt, and streams parts
// from the generation. The sequence is released only after llama.cpp has really stopped.
import type { GenerateRequest, GenerateResult, LanguageModel, StreamPart, Warning } from "../../../spec/model.ts";
import { collectStream } from "../../stream-utils.ts";
import { runGeneration } from "./generation.ts";
import type { LlamaCppModelConfig } from "./loaded-model.ts";
import type { ModelPool } from "./model-pool.ts";
import { PartChannel } from "./part-channel.ts";
import { PartWriter } from "./part-writer.ts";
import { renderPrompt } from "./prompt.ts";
import { samplingOptions } from "./sampling.ts";
import { planTools } from "./tools.ts";

/** Text generation with an in-process llama.cpp model. */
export class LlamaLanguageModel implements LanguageModel {
  constructor(
    private readonly config: LlamaCppModelConfig,
    private readonly pool: ModelPool,
  ) {}

  get modelId(): string {
    return this.config.id;
  }

  async countTokens(request: GenerateRequest): Promise<number> {
    const lease = await this.pool.acquire(this.config, { slot: false, signal: request.signal });
    try {
      const tools = planTools(request, lease.loaded.chatWrapper !== null, []);
      return renderPrompt(request, lease.loaded, tools).inputTokens;
    } finally {
      lease.release();
    }
  }

  generate(request: GenerateRequest): Promise<GenerateResult> {
    return collectStream(this.stream(request));
  }

  async *stream(request: GenerateRequest): AsyncIterable<StreamPart> {
    const warnings: Warning[] = [];
    const sampling = samplingOptions(request, warnings);
    const lease = await this.pool.acquire(this.config, { slot: true, signal: request.signal });
    // Stops llama.cpp when the consumer goes away early (client disconnect, deadline, break).
    const stop = new AbortController();
    const signal = request.signal ? AbortSignal.any([request.signal, stop.signal]) : stop.signal;
    let running: Promise<void> | undefined;
    try {
      const tools = planTools(request, lease.loaded.chatWrapper !== null, warnings);
      const prompt = renderPrompt(request, lease.loaded, tools);
      const channel = new PartChannel<StreamPart>();
      // Warnings go out with the first real part, so that a request failing before any output
      // (input too long) still fails before the first byte, as an HTTP error.
      let pending = warnings;
      const writer = new PartWriter((part) => {
        for (const warning of pending) channel.push({ type: "warning", warning });
        pending = [];
        channel.push(part);
      });
      running = runGeneration({ loaded: lease.loaded, slot: lease.slot!, request, prompt, tools, sampling, signal, writer }).then(
        () => channel.close(),
        (error: unknown) => channel.fail(error),
      );
      yield* channel;
    } finally {
      stop.abort();
      await running;
      lease.release();
    }
  }
}
