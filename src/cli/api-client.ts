// How CLI commands call a running server's JSON APIs: SigV4-signed HTTP/1.1 requests (service
// `bedrock`) with the caller's AWS credentials from the environment, or placeholder keys that
// a server without credentials accepts on loopback. Errors come back as CliErrors naming
// Bedrock's exception, with advice when the server cannot be reached.
import { Hash } from "@smithy/hash-node";
import { SignatureV4 } from "@smithy/signature-v4";
import { CliError } from "./output.ts";

/** The server the CLI talks to unless `--endpoint` or BASALT_ENDPOINT says otherwise. */
export const DEFAULT_ENDPOINT = "http://127.0.0.1:8787";

const UNREACHABLE = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ECONNRESET", "EHOSTUNREACH", "ETIMEDOUT"]);

/** Credentials from the environment, or placeholders for a server that has none configured. */
export function cliCredentials(): { accessKeyId: string; secretAccessKey: string; sessionToken?: string } {
  const env = process.env;
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    return { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY, sessionToken: env.AWS_SESSION_TOKEN };
  }
  return { accessKeyId: "BASALTLOCAL", secretAccessKey: "basalt-local-no-credentials-needed" };
}

/** A signed JSON client of one server. */
export class ApiClient {
  readonly endpoint: string;
  readonly #signer: SignatureV4;

  constructor(endpoint = process.env.BASALT_ENDPOINT ?? DEFAULT_ENDPOINT) {
    this.endpoint = endpoint.replace(/\/+$/, "");
    this.#signer = new SignatureV4({
      service: "bedrock",
      region: process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? "us-east-1",
      credentials: cliCredentials(),
      sha256: Hash.bind(null, "sha256"),
    });
  }

  /** Sends one request; resolves with the parsed JSON body of a 2xx answer. */
  async call<T = Record<string, unknown>>(method: "GET" | "POST" | "PUT" | "DELETE", path: string, body?: unknown): Promise<T> {
    const url = new URL(this.endpoint + path);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const request = {
      method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      headers: { host: url.host, ...(payload ? { "content-type": "application/json" } : {}) },
      query: Object.fromEntries(url.searchParams),
      body: payload,
    };
    const signed = await this.#signer.sign(request);
    let response: Response;
    try {
      response = await fetch(url.href, { method, headers: signed.headers as Record<string, string>, body: payload });
    } catch (error) {
      const code = (error as { cause?: { code?: string } }).cause?.code;
      if (code && UNREACHABLE.has(code)) {
        throw new CliError(`cannot reach Basalt at ${this.endpoint} (${code})`, { hint: "is `basalt serve` running? Point elsewhere with --endpoint or BASALT_ENDPOINT." });
      }
      throw error;
    }
    const text = await response.text();
    const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (!response.ok) {
      const name = response.headers.get("x-amzn-errortype")?.split(":")[0] ?? String(json.__type ?? response.status);
      throw new CliError(`${name}: ${String(json.message ?? json.Message ?? response.statusText)}`);
    }
    return json as T;
  }
}
