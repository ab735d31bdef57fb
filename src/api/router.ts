// Routes requests to handlers, builds the request context, renders errors and writes one
// access-log line per request (never bodies: prompts and secrets stay out of logs).
import { randomUUID } from "node:crypto";
import FindMyWay, { type HTTPMethod } from "find-my-way";
import type { Logger } from "pino";
import { BasaltError, toBasaltError } from "../spec/errors.ts";
import { sendBedrockError } from "./protocol/errors.ts";
import { parseJsonObject, readBody, type AnyRequest, type AnyResponse, type RequestContext } from "./protocol/http.ts";

/** A route handler. */
export type Handler = (ctx: RequestContext) => Promise<void> | void;

/** Renders an error for one API family (Bedrock's shape by default, OpenAI's for /v1). */
export type ErrorRenderer = (res: AnyResponse, error: unknown, requestId: string) => BasaltError;

/** Options of a route. */
export interface RouteOptions {
  renderError?: ErrorRenderer;
}

/** Options of {@link Router}. */
export interface RouterOptions {
  logger: Logger;
  bodyLimitBytes: number;
  /** Log request bodies (prompts). Off by default; a debugging aid only. */
  logContent?: boolean;
}

interface RouteStore {
  handler: Handler;
  renderError: ErrorRenderer;
}

/** The HTTP router shared by every API surface. */
export class Router {
  private readonly routes = FindMyWay({ ignoreTrailingSlash: false, maxParamLength: 2048 });
  private readonly logger: Logger;
  private readonly bodyLimitBytes: number;
  private readonly logContent: boolean;
  /** Requests being handled now; graceful shutdown waits for this to reach zero. */
  inFlight = 0;

  constructor(options: RouterOptions) {
    this.logger = options.logger;
    this.bodyLimitBytes = options.bodyLimitBytes;
    this.logContent = options.logContent ?? false;
  }

  /** Adds a route. Paths use find-my-way syntax (`/model/:modelId/converse`). */
  on(method: HTTPMethod, path: string, handler: Handler, options: RouteOptions = {}): void {
    const store: RouteStore = { handler, renderError: options.renderError ?? sendBedrockError };
    this.routes.on(method, path, () => undefined, store);
  }

  /** Handles one request; never throws. */
  handle = (req: AnyRequest, res: AnyResponse): void => {
    const started = performance.now();
    const requestId = randomUUID();
    const url = req.url ?? "/";
    const queryAt = url.indexOf("?");
    const path = queryAt === -1 ? url : url.slice(0, queryAt);
    const found = this.routes.find(req.method as HTTPMethod, path);
    const store = found?.store as RouteStore | undefined;
    const controller = new AbortController();
    // `writableEnded` is true only once we called end(); over HTTP/2 a client's RST_STREAM
    // leaves `writableFinished` true as well, so that flag cannot tell a cancel from a finish.
    const onClose = () => {
      if (!res.writableEnded) controller.abort(new BasaltError("VALIDATION", "The client closed the connection."));
    };
    res.on("close", onClose);
    this.inFlight++;
    const ctx: RequestContext = {
      req,
      res,
      params: (found?.params ?? {}) as Record<string, string | undefined>,
      query: new URLSearchParams(queryAt === -1 ? "" : url.slice(queryAt + 1)),
      requestId,
      log: this.logger,
      signal: controller.signal,
      logFields: {},
      body: async () => {
        const body = await readBody(req, this.bodyLimitBytes);
        if (this.logContent) this.logger.info({ requestId, content: body.toString("utf8") }, "request content");
        return body;
      },
      json: async () => parseJsonObject(await ctx.body()),
    };
    const renderError = store?.renderError ?? sendBedrockError;
    const finish = (error?: unknown) => {
      this.inFlight--;
      res.off("close", onClose);
      let outcome: Record<string, unknown> = {};
      if (error !== undefined) {
        const err = renderError(res, error, requestId);
        outcome = { error: err.kind.bedrockName };
        if (err.code === "INTERNAL") this.logger.error({ requestId, err: toBasaltError(error).cause ?? error }, "internal error");
      }
      this.logger.info(
        {
          requestId,
          method: req.method,
          path: found ? path : "(unmatched)",
          status: res.statusCode,
          ms: Math.round((performance.now() - started) * 100) / 100,
          ...ctx.logFields,
          ...outcome,
        },
        "request",
      );
    };
    if (!store) {
      finish(new BasaltError("NOT_FOUND", `No route for ${req.method} ${path}.`));
      return;
    }
    try {
      const done = store.handler(ctx);
      if (done && typeof (done as Promise<void>).then === "function") {
        (done as Promise<void>).then(() => finish(), finish);
      } else finish();
    } catch (error) {
      finish(error);
    }
  };
}
