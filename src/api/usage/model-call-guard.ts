// The guard every model-calling handler runs around its model call: admission against the
// quotas before the call (input + maxTokens reserved), then exactly once at the end — finish,
// error or client abort — settlement with the actual usage, then (batched, off the response
// path) a usage record, the metrics and, where the account turned it on, an invocation log
// record. Without usage services, or with no quota configured, the per-call cost is a few
// property reads: no tokenization, no I/O.
import { inputCountNeeded, type QuotasConfig } from "../../quotas/quota-config.ts";
import type { QuotaLease } from "../../quotas/limiter.ts";
import type { ModelEntry } from "../../spec/catalog.ts";
import { toBasaltError } from "../../spec/errors.ts";
import type { EmbeddingModel, StreamPart, Usage } from "../../spec/model.ts";
import type { LoggingConfig } from "../../usage/invocation-logging-config.ts";
import { outcomeOf, type UsageRecord } from "../../usage/recorder.ts";
import type { UsageServices } from "../../usage/services.ts";
import type { ApiDeps } from "../deps.ts";
import type { RequestContext } from "../protocol/http.ts";
import type { DeferredTask } from "../../util/deferred-work.ts";
import { StreamOutputAssembler } from "./stream-output.ts";

/**
 * Output tokens reserved when a request sets no maxTokens (Bedrock reserves the model's
 * default maximum); capped by the model's context length where the catalog knows it.
 */
export const DEFAULT_RESERVED_OUTPUT_TOKENS = 4096;

/** Characters per token when a stream ends without the model's usage report. */
const CHARS_PER_TOKEN = 4;

/** What a handler tells the guard before calling the model. */
export interface ModelCallStart {
  /** Bedrock operation name, or the OpenAI route. */
  operation: string;
  /** The model actually called. */
  entry: ModelEntry;
  /** The request's maxTokens; absent: the default reservation. */
  maxTokens?: number;
  /** An embedding call: no output tokens to reserve. */
  embedding?: boolean;
  /** A streaming call: it takes a concurrent-stream slot until it ends. */
  stream?: boolean;
  /** Counts the input tokens; called only when a token quota or a budget needs the count. */
  countInput(): Promise<number>;
  /** The request body as JSON, for invocation logs that include content. */
  inputBody?: unknown;
}

/** One guarded model call. Each way of ending it is idempotent, and only the first counts. */
export interface ModelCall {
  /** Watches the model's promise and hands it back: a rejection ends the call as failed (the caller still sees it). */
  guard<T>(promise: Promise<T>): Promise<T>;
  /**
   * Ends the call with the model's usage and the response body sent (for invocation logs).
   * Handlers call it right after writing the response. The quota is settled at once; the usage
   * record, metrics and invocation log are queued as deferred bookkeeping (util/deferred-work.ts),
   * so they do not compete with the client's read of the answer.
   */
  succeed(usage: { inputTokens: number; outputTokens?: number }, output?: unknown): void;
  /** Ends the call as failed. */
  fail(error: unknown): void;
  /** Passes a stream through, ending the call when it finishes, fails or is abandoned. */
  observe(source: AsyncIterable<StreamPart>): AsyncIterable<StreamPart>;
}

/** Counts the input tokens of an embedding call: every text, with the model's tokenizer. */
export function embeddingInputCounter(model: EmbeddingModel, texts: readonly string[]): () => Promise<number> {
  return async () => (await Promise.all(texts.map((text) => model.countTokens(text)))).reduce((a, b) => a + b, 0);
}

/** The call of a server without usage services: every method is the identity or a no-op. */
const UNGUARDED: ModelCall = {
  guard: (promise) => promise,
  succeed() {},
  fail() {},
  observe: (source) => source,
};

/**
 * Admits a model call or throws: ThrottlingException (429 with a retry hint) when a quota is
 * reached, ValidationException when the request alone exceeds a per-minute token quota. Call it
 * before the model, so that in a stream a refusal is still an ordinary HTTP error. It answers
 * without a promise when it needs no I/O (no token count, logging configuration cached): once
 * AsyncLocalStorage is on (the database's transactions turn it on), every promise costs.
 */
export function beginModelCall(deps: ApiDeps, ctx: RequestContext, start: ModelCallStart): ModelCall | Promise<ModelCall> {
  const services = deps.usage;
  if (!services) return UNGUARDED;
  return new GuardedCall(services, ctx, start).admit(deps.config.quotas);
}

/** Usage write failures are logged once per batch: the recorder hands every record of a batch the same promise. */
const watchedWrites = new WeakSet<Promise<void>>();

interface Ending {
  error?: unknown;
  usage?: { inputTokens: number; outputTokens?: number };
  output?: unknown;
}

class GuardedCall implements ModelCall, DeferredTask {
  private readonly startedAt = Date.now();
  private readonly t0 = performance.now();
  private lease: QuotaLease | undefined;
  private countedInput: number | undefined;
  private logging: LoggingConfig | undefined;
  private firstTokenMs: number | undefined;
  private ended = false;
  private ending: Ending | undefined;
  /** Settled by finalize(); made there, so a call that never ends allocates none. */
  private tokens: { inputTokens: number; outputTokens: number } | undefined = undefined;
  private endedAt = 0;
  private abortedAtEnd = false;

  constructor(
    private readonly services: UsageServices,
    private readonly ctx: RequestContext,
    private readonly start: ModelCallStart,
  ) {}

  admit(quotas: QuotasConfig | undefined): this | Promise<this> {
    const { services, ctx, start } = this;
    if (services.quotasActive && quotas) {
      const model = start.entry.id;
      const { id: principal, accountId: account } = ctx.principal;
      if (inputCountNeeded(quotas, { model, principal, account, priced: services.limiter.prices.has(model) })) {
        return start.countInput().then(
          async (tokens) => {
            this.countedInput = tokens;
            await this.reserve();
            return this.readLogging();
          },
          (error: unknown) => {
            this.end({ error });
            throw error;
          },
        );
      }
      // Shared quota state (several nodes on PostgreSQL) answers with a promise; one node's, at once.
      const reserving = this.reserve();
      if (reserving) return reserving.then(() => this.readLogging());
    }
    return this.readLogging();
  }

  /** Takes the lease, or ends the call as refused and throws (rejects, when the quota state is shared). */
  private reserve(): Promise<void> | undefined {
    const { services, ctx, start } = this;
    const { id: principal, accountId: account } = ctx.principal;
    const request = { model: start.entry.id, principal, account, inputTokens: this.countedInput ?? 0, maxTokens: this.reservedOutput(), stream: start.stream };
    const refused = (error: unknown): never => {
      this.end({ error });
      throw error;
    };
    if (services.sharedLimiter) return services.sharedLimiter.reserve(request).then((lease) => this.hold(lease), refused);
    try {
      this.hold(services.limiter.reserve(request));
    } catch (error) {
      refused(error);
    }
    return undefined;
  }

  private hold(lease: QuotaLease): void {
    const { ctx, start } = this;
    this.lease = lease;
    // A client that goes away frees its stream slot at once, before the stream unwinds.
    if (start.stream) lease.bindSignal(ctx.cancellation);
    // Safety net: a handler that throws after the model answered (and before succeed or fail)
    // still settles its reservation when the response closes, so no quota leaks.
    else ctx.res.once("close", () => this.end({ error: new Error("the request ended before its model call was settled") }));
  }

  private readLogging(): this | Promise<this> {
    const { services, ctx } = this;
    const configs = services.invocationLogs.configs;
    const peeked = configs.peek?.(ctx.principal.accountId);
    if (peeked !== undefined) {
      this.logging = peeked ?? undefined;
      return this;
    }
    return configs.get(ctx.principal.accountId).then(
      (config) => {
        this.logging = config;
        return this;
      },
      (error: unknown) => {
        // Logging must never fail a model call; the call goes on unlogged.
        services.logger.warn({ requestId: ctx.requestId, err: error }, "could not read the invocation logging configuration");
        return this;
      },
    );
  }

  private reservedOutput(): number {
    const { start } = this;
    if (start.embedding) return 0;
    return start.maxTokens ?? Math.min(DEFAULT_RESERVED_OUTPUT_TOKENS, start.entry.contextLength ?? DEFAULT_RESERVED_OUTPUT_TOKENS);
  }

  guard<T>(promise: Promise<T>): Promise<T> {
    // The model's own promise goes back to the caller: a derived one would cost the caller a
    // turn on every call. This reaction, registered first, ends the call before the caller hears.
    promise.then(undefined, (error: unknown) => this.fail(error));
    return promise;
  }

  succeed(usage: { inputTokens: number; outputTokens?: number }, output?: unknown): void {
    this.end({ usage, output });
  }

  fail(error: unknown): void {
    this.end({ error });
  }

  observe(source: AsyncIterable<StreamPart>): AsyncIterable<StreamPart> {
    return this.watch(source);
  }

  private async *watch(source: AsyncIterable<StreamPart>): AsyncGenerator<StreamPart> {
    const assembler = this.logging?.textDataDeliveryEnabled ? new StreamOutputAssembler() : undefined;
    let finish: Usage | undefined;
    let chars = 0;
    let failure: unknown;
    // Safety net: a consumer that stops iterating without return() (a failed write) still ends the call.
    const onClose = () => this.endPartial(chars, undefined);
    this.ctx.res.once("close", onClose);
    try {
      for await (const part of source) {
        if (part.type === "text-delta" || part.type === "reasoning-delta" || part.type === "tool-input-delta") {
          this.firstTokenMs ??= performance.now() - this.t0;
          chars += part.delta.length;
        } else if (part.type === "finish") finish = part.usage;
        assembler?.add(part);
        yield part;
      }
    } catch (error) {
      failure = error;
      throw error;
    } finally {
      this.ctx.res.off("close", onClose);
      if (finish) this.end({ usage: finish, output: assembler?.result(finish) });
      else this.endPartial(chars, failure);
    }
  }

  /**
   * Ends a stream that stopped without the model's usage report (error or client abort): it is
   * charged its input and its output so far, estimated from the characters sent. The input is
   * counted here if admission did not, off the response path and only on this rare path.
   */
  private endPartial(chars: number, error: unknown): void {
    if (this.ended) return;
    const failure = error ?? (this.ctx.cancellation.aborted ? this.ctx.cancellation.reason : undefined);
    if (chars === 0) return this.end({ error: failure });
    const outputTokens = Math.ceil(chars / CHARS_PER_TOKEN);
    if (this.countedInput !== undefined) return this.end({ error: failure, usage: { inputTokens: this.countedInput, outputTokens } });
    this.ended = true; // claimed now, so a second ending while counting is ignored
    this.start.countInput().then(
      (inputTokens) => this.finalize({ error: failure, usage: { inputTokens, outputTokens } }),
      () => this.finalize({ error: failure, usage: { inputTokens: 0, outputTokens } }),
    );
  }

  private end(ending: Ending): void {
    if (this.ended) return;
    this.ended = true;
    this.finalize(ending);
  }

  /**
   * Settles the quota now (the next request's admission depends on it) and queues the rest —
   * the usage record, metrics and invocation log — as deferred bookkeeping (see {@link run}).
   */
  private finalize(ending: Ending): void {
    const inputTokens = ending.usage?.inputTokens ?? this.countedInput ?? 0;
    const outputTokens = ending.usage?.outputTokens ?? 0;
    // Settled with usage only when the model ran; a refusal or an early failure gives it all back.
    this.tokens = { inputTokens, outputTokens };
    this.lease?.settle(ending.usage ? this.tokens : undefined);
    this.ending = ending;
    this.endedAt = performance.now();
    this.abortedAtEnd = this.ctx.cancellation.aborted;
    this.services.deferred.defer(this);
  }

  /** The deferred part of {@link finalize}: the usage record, metrics and invocation log. */
  run(): void {
    const { services, ctx, start, ending } = this;
    if (!ending) return;
    const err = ending.error === undefined ? undefined : toBasaltError(ending.error);
    const aborted = this.abortedAtEnd;
    const record: UsageRecord = {
      timestamp: new Date(this.startedAt).toISOString(),
      requestId: ctx.requestId,
      principal: ctx.principal.id,
      account: ctx.principal.accountId,
      model: start.entry.id,
      operation: start.operation,
      inputTokens: this.tokens?.inputTokens ?? 0,
      outputTokens: this.tokens?.outputTokens ?? 0,
      latencyMs: this.endedAt - this.t0,
      outcome: outcomeOf(err, aborted),
    };
    // A client that went away is an outcome, not an error of the model's.
    if (err && !aborted) record.errorName = err.kind.bedrockName;
    services.metrics.observe(record, this.firstTokenMs);
    const written = services.recorder.record(record);
    if (!watchedWrites.has(written)) {
      watchedWrites.add(written);
      written.catch((error: unknown) => services.logger.warn({ err: error }, "could not record usage"));
    }
    if (this.logging) this.log(record, ending);
  }

  private log(record: UsageRecord, ending: Ending): void {
    const { services, ctx, start } = this;
    const content = this.logging?.textDataDeliveryEnabled === true;
    services.invocationLogs.writer
      .log({
        accountId: ctx.principal.accountId,
        region: services.region,
        requestId: ctx.requestId,
        operation: start.operation,
        modelId: start.entry.id,
        identityArn: ctx.principal.arn,
        timestamp: new Date(this.startedAt),
        inputBody: content ? start.inputBody : undefined,
        inputTokenCount: record.inputTokens,
        outputBody: content ? ending.output : undefined,
        ...(record.errorName ? { errorCode: record.errorName } : { outputTokenCount: record.outputTokens }),
      })
      .catch((error: unknown) => services.logger.warn({ requestId: ctx.requestId, err: error }, "could not write the invocation log record"));
  }
}
