// Routes requests to handlers, builds the request context, authenticates and authorizes,
// renders errors and writes one access-log line per request (never bodies: prompts and
// secrets stay out of logs).
import { randomUUID } from "node:crypto";
import FindMyWay, { type HTTPMethod } from "find-my-way";
import type { Logger } from "pino";
import type { AccessControl } from "../iam/access-control.ts";
import { guardrailArn, knowledgeBaseArn, OPERATIONS, type OperationName } from "../iam/actions.ts";
import type { Session } from "../iam/authorize.ts";
import { BasaltError, toBasaltError } from "../spec/errors.ts";
import { ANONYMOUS, type Principal } from "../spec/principal.ts";
import { sendBedrockError } from "./protocol/errors.ts";
import { parseJsonObject, readBody, readJsonBody, type AnyRequest, type AnyResponse, type BodyReader, type RequestContext } from "./protocol/http.ts";
import type { DeferredTask, DeferredWork } from "../util/deferred-work.ts";
import { listenForAbort, type Cancellation } from "../spec/model.ts";

/** A route handler. */
export type Handler = (ctx: RequestContext) => Promise<void> | void;

/** Renders an error for one API family (Bedrock's shape by default, OpenAI's for /v1). */
export type ErrorRenderer = (res: AnyResponse, error: unknown, requestId: string) => BasaltError;

/** Options of a route. */
export interface RouteOptions {
  renderError?: ErrorRenderer;
  /** The operation the route serves; the router authorizes it when it knows the resource. */
  operation?: OperationName;
  /** The path parameter that names the model, for operations on a model. */
  modelParam?: string;
  /** The path parameter that names the knowledge base, for operations authorized on one (in the caller's account). */
  knowledgeBaseParam?: string;
  /** The path parameter that names the guardrail (an id in the caller's account, or an ARN), for operations authorized on one. */
  guardrailParam?: string;
  /** Served without authentication (health checks). */
  public?: boolean;
}

/** Options of {@link Router}. */
export interface RouterOptions {
  logger: Logger;
  bodyLimitBytes: number;
  /** Log request bodies (prompts). Off by default; a debugging aid only. */
  logContent?: boolean;
  /** Authentication and authorization; without it every request is anonymous and allowed. */
  access?: AccessControl;
  /** The region in the ARNs of account resources (knowledge bases) the router authorizes on; default us-east-1. */
  region?: string;
  /** Where access-log lines are queued, off the response path; without it they are written at once. */
  deferred?: DeferredWork;
}

interface RouteStore {
  handler: Handler;
  renderError: ErrorRenderer;
  public: boolean;
  operation?: OperationName;
  modelParam?: string;
  knowledgeBaseParam?: string;
  guardrailParam?: string;
  /** The router authorizes before the handler: the resource is `*` or in the path. */
  routerAuthorizes: boolean;
}

/** The HTTP router shared by every API surface. */
export class Router {
  private readonly routes = FindMyWay({ ignoreTrailingSlash: false, maxParamLength: 2048 });
  readonly logger: Logger;
  private readonly bodyLimitBytes: number;
  private readonly logContent: boolean;
  readonly access: AccessControl | undefined;
  readonly region: string;
  private readonly deferred: DeferredWork | undefined;
  /** Requests being handled now; graceful shutdown waits for this to reach zero. */
  inFlight = 0;

  constructor(options: RouterOptions) {
    this.logger = options.logger;
    this.bodyLimitBytes = options.bodyLimitBytes;
    this.logContent = options.logContent ?? false;
    this.access = options.access;
    this.region = options.region ?? "us-east-1";
    this.deferred = options.deferred;
  }

  /** Adds a route. Paths use find-my-way syntax (`/model/:modelId/converse`). */
  on(method: HTTPMethod, path: string, handler: Handler, options: RouteOptions = {}): void {
    const { operation, modelParam, knowledgeBaseParam, guardrailParam } = options;
    const routerAuthorizes =
      operation !== undefined && (OPERATIONS[operation].resource === "*" || modelParam !== undefined || knowledgeBaseParam !== undefined || guardrailParam !== undefined);
    const store: RouteStore = {
      handler,
      renderError: options.renderError ?? sendBedrockError,
      public: options.public ?? false,
      operation,
      modelParam,
      knowledgeBaseParam,
      guardrailParam,
      routerAuthorizes,
    };
    this.routes.on(method, path, () => undefined, store);
  }

  /** Handles one request; never throws. */
  handle = (req: AnyRequest, res: AnyResponse): void => {
    const url = req.url ?? "/";
    const queryAt = url.indexOf("?");
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const found = this.routes.find(req.method as HTTPMethod, path);
    const store = found?.store as RouteStore | undefined;
    const ctx = new Context({ req, res, router: this, url, queryAt, params: found?.params });
    this.inFlight++;
    if (!store) {
      this.finish(ctx, "(unmatched)", sendBedrockError, new BasaltError("NOT_FOUND", `No route for ${req.method} ${path}.`));
      return;
    }
    // The one check on the hot path while authentication is off and every model is enabled.
    const access = this.access;
    if (access !== undefined && !access.openToAnonymous && !store.public) {
      void this.guarded(ctx, store, path, access);
      return;
    }
    let done: Promise<void> | void;
    try {
      done = store.handler(ctx);
    } catch (error) {
      this.finish(ctx, path, store.renderError, error);
      return;
    }
    if (done && typeof (done as Promise<void>).then === "function") void this.settle(ctx, path, store.renderError, done as Promise<void>);
    else this.finish(ctx, path, store.renderError);
  };

  /** Finishes a request once its handler's promise settles (a method: no closures per request). */
  private async settle(ctx: Context, path: string, renderError: ErrorRenderer, done: Promise<void>): Promise<void> {
    try {
      await done;
    } catch (error) {
      this.finish(ctx, path, renderError, error);
      return;
    }
    this.finish(ctx, path, renderError);
  }

  /** Authenticates (when required) and authorizes what the path names, then runs the handler. */
  private async guarded(ctx: Context, store: RouteStore, path: string, access: AccessControl): Promise<void> {
    try {
      if (access.required) {
        // Read once for the signature's payload hash; the handler's ctx.body() reuses it.
        const body = await ctx.body();
        const { req } = ctx;
        const result = await access.authenticate({ method: req.method ?? "GET", url: ctx.url, headers: req.headers, body }, req.socket?.remoteAddress);
        if (!result.ok) throw result.error;
        ctx.session = result.session;
        ctx.principal = result.session.principal;
        ctx.logFields.principal = result.session.principal.arn;
      }
      if (store.routerAuthorizes) ctx.authorize(store.operation!, this.resourceOf(ctx, store));
      await store.handler(ctx);
      this.finish(ctx, path, store.renderError);
    } catch (error) {
      this.finish(ctx, path, store.renderError, error);
    }
  }

  /** What the path names for authorization: a model identifier, or the ARN of a knowledge base or guardrail in the caller's account. */
  private resourceOf(ctx: Context, store: RouteStore): string | undefined {
    if (store.modelParam !== undefined) return ctx.params[store.modelParam];
    if (store.knowledgeBaseParam !== undefined) return knowledgeBaseArn(this.region, ctx.principal.accountId, ctx.params[store.knowledgeBaseParam] ?? "");
    if (store.guardrailParam !== undefined) return guardrailArn(this.region, ctx.principal.accountId, ctx.params[store.guardrailParam] ?? "");
    return undefined;
  }

  /** Reads `ctx`'s body as a JSON object in one step, or undefined when content logging wants the bytes first. */
  readJson(ctx: Context): BodyReader<Record<string, unknown>> | undefined {
    return this.logContent ? undefined : readJsonBody(ctx.req, this.bodyLimitBytes);
  }

  /** Reads a body for `ctx`, logging it only when content logging is on. */
  readBody(ctx: Context): Promise<Buffer> {
    const read = readBody(ctx.req, this.bodyLimitBytes);
    if (!this.logContent) return read;
    return read.then((body) => {
      this.logger.info({ requestId: ctx.requestId, content: body.toString("utf8") }, "request content");
      return body;
    });
  }

  private finish(ctx: Context, path: string, renderError: ErrorRenderer, error?: unknown): void {
    this.inFlight--;
    ctx.detach();
    const { res, requestId } = ctx;
    let failure: string | undefined;
    if (error !== undefined) {
      const err = renderError(res, error, requestId);
      failure = err.kind.bedrockName;
      if (err.code === "INTERNAL") this.logger.error({ requestId, err: toBasaltError(error).cause ?? error }, "internal error");
    }
    const line = new AccessLine(this.logger, ctx, { path, status: res.statusCode, ms: performance.now() - ctx.started, failure });
    if (this.deferred) this.deferred.defer(line);
    else line.run();
  }
}

/** One access-log line, built and written when the deferred bookkeeping runs. */
class AccessLine implements DeferredTask {
  constructor(
    private readonly logger: Logger,
    private readonly ctx: Context,
    private readonly outcome: { path: string; status: number; ms: number; failure: string | undefined },
  ) {}

  run(): void {
    const { ctx } = this;
    const { path, status, ms, failure } = this.outcome;
    this.logger.info(
      {
        requestId: ctx.requestId,
        method: ctx.req.method,
        path,
        status,
        ms: Math.round(ms * 100) / 100,
        ...ctx.logFields,
        ...(failure ? { error: failure } : {}),
      },
      "request",
    );
  }
}

const CONTEXT = Symbol("basalt.context");
type ContextCarrier = AnyResponse & { [CONTEXT]?: Context };

function clientClosed(): BasaltError {
  return new BasaltError("VALIDATION", "The client closed the connection.");
}

/** Whether the client went away already (HTTP/2's response has no `destroyed`; its stream does). */
function responseGone(res: AnyResponse): boolean {
  return "stream" in res ? res.stream.destroyed : res.destroyed;
}

/** The response's close listener, shared by every request (`this` is the response). */
function onResponseClose(this: ContextCarrier): void {
  this[CONTEXT]?.closed();
}

/**
 * A request's cancellation in its cheap form: a flag and an array of listeners, where an
 * AbortSignal is an EventTarget (several microseconds to make and listen to in Node 20).
 */
class ClientCancellation implements Cancellation {
  aborted = false;
  reason: unknown = undefined;
  private listeners: (() => void)[] = [];

  addEventListener(_type: "abort", listener: () => void): void {
    if (!this.aborted) this.listeners.push(listener);
  }

  removeEventListener(_type: "abort", listener: () => void): void {
    const at = this.listeners.indexOf(listener);
    if (at !== -1) this.listeners.splice(at, 1);
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener();
  }
}

/**
 * The per-request context. A class rather than an object of closures: this runs on every
 * request, and methods on a prototype cost nothing to create.
 */
class Context implements RequestContext {
  readonly req: AnyRequest;
  readonly res: AnyResponse;
  readonly params: Record<string, string | undefined>;
  readonly requestId = randomUUID();
  readonly started = performance.now();
  readonly logFields: Record<string, unknown> = {};
  principal: Principal = ANONYMOUS;
  /** Set once the request authenticated; undefined for anonymous requests. */
  session: Session | undefined = undefined;
  readonly url: string;
  private readonly router: Router;
  private bodyRead: Promise<Buffer> | undefined = undefined;
  private jsonRead: BodyReader<Record<string, unknown>> | undefined = undefined;
  private readonly queryAt: number;
  private searchParams?: URLSearchParams;
  private controller: AbortController | undefined = undefined;
  private cancel: ClientCancellation | undefined = undefined;

  constructor(options: { req: AnyRequest; res: AnyResponse; router: Router; url: string; queryAt: number; params?: Record<string, string | undefined> }) {
    this.req = options.req;
    this.res = options.res;
    this.router = options.router;
    this.url = options.url;
    this.queryAt = options.queryAt;
    this.params = options.params ?? {};
  }

  get log(): Logger {
    return this.router.logger;
  }

  /**
   * Made on first use: routes that never hand a signal to a model (the catalog, the control
   * plane) pay for nothing, and the close listener is one shared function.
   */
  get cancellation(): Cancellation {
    if (this.cancel === undefined) {
      this.cancel = new ClientCancellation();
      if (this.res.writableEnded || responseGone(this.res)) {
        if (!this.res.writableEnded) this.cancel.abort(clientClosed());
      } else {
        (this.res as ContextCarrier)[CONTEXT] = this;
        this.res.on("close", onResponseClose);
      }
    }
    return this.cancel;
  }

  /** A real AbortSignal, made only when asked for (several microseconds in Node 20), following {@link cancellation}. */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      const controller = (this.controller = new AbortController());
      listenForAbort(this.cancellation, (reason) => controller.abort(reason));
    }
    return this.controller.signal;
  }

  /** The client went away: abort what the request started, unless we had finished answering. */
  closed(): void {
    // `writableEnded` is true only once we called end(); over HTTP/2 a client's RST_STREAM
    // leaves `writableFinished` true as well, so that flag cannot tell a cancel from a finish.
    if (!this.res.writableEnded) this.cancel?.abort(clientClosed());
  }

  get query(): URLSearchParams {
    this.searchParams ??= new URLSearchParams(this.queryAt === -1 ? "" : this.url.slice(this.queryAt + 1));
    return this.searchParams;
  }

  body(): Promise<Buffer> {
    // Read at most once: authentication may already have read it for the signature.
    if (this.bodyRead === undefined) {
      const reader = this.jsonRead;
      this.bodyRead = reader ? reader.promise.then(() => reader.bytes!) : this.router.readBody(this);
    }
    return this.bodyRead;
  }

  authorize(operation: OperationName, resource?: string, stream = false): void {
    const access = this.router.access;
    if (access === undefined || (this.session === undefined && access.openToAnonymous)) return;
    access.authorize(this.session, operation, resource, stream);
  }

  json(): Promise<Record<string, unknown>> {
    if (this.jsonRead === undefined && this.bodyRead === undefined) this.jsonRead = this.router.readJson(this);
    return this.jsonRead ? this.jsonRead.promise : this.body().then(parseJsonObject);
  }

  detach(): void {
    if (this.cancel !== undefined) this.res.off("close", onResponseClose);
  }
}
