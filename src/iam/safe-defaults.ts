// Safe defaults: without credentials every request is the anonymous account root, so Basalt
// then serves on loopback only. Asked to listen anywhere else, it refuses to start and says how
// to create credentials.
import { isIP } from "node:net";

/** Whether `host` is a loopback address (or `localhost`), reachable from this machine only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/^\[|\]$/g, "");
  if (h === "localhost" || h.endsWith(".localhost")) return true;
  if (isIP(h) === 4) return h.startsWith("127.");
  if (h === "::1" || h === "0:0:0:0:0:0:0:1") return true;
  return /^::ffff:127\./.test(h);
}

/** Refusal to serve a non-loopback address without credentials; `hint` says what to do. */
export class UnsafeBindError extends Error {
  readonly hint: string;

  constructor(host: string) {
    super(
      `refusing to serve on ${host} without credentials: no access key or API key exists, so every request would act as the account root, and ${host} is reachable from other machines.`,
    );
    this.name = "UnsafeBindError";
    this.hint =
      "create credentials first, then start again:\n" +
      "  basalt iam create-user --user-name admin && basalt iam create-access-key --user-name admin\n" +
      "  (and allow it something: basalt iam put-policy … && basalt iam attach-policy …)\n" +
      "or serve on loopback only: --host 127.0.0.1";
  }
}

/** Throws {@link UnsafeBindError} for a non-loopback host when no credentials exist. */
export function assertSafeBind(options: { host: string; hasCredentials: boolean }): void {
  if (!options.hasCredentials && !isLoopbackHost(options.host)) throw new UnsafeBindError(options.host);
}
