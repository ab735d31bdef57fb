// Who is making a request. Every request has one: with no credentials configured, the
// anonymous root principal of the default account (loopback-only serving; see issue 3).

/** The caller of a request, as authentication established it. */
export interface Principal {
  /** The account (tenant) every resource the caller creates belongs to; 12 digits, as AWS's. */
  accountId: string;
  /** `arn:aws:iam::<account>:user/<name>`, `…:role/<name>` or `…:root`. */
  arn: string;
  /** A stable id for quotas, usage and logs (user or role id, `anonymous` when unauthenticated). */
  id: string;
  /** How the caller authenticated. */
  via: "sigv4" | "api-key" | "anonymous";
}

/** The default account used when no credentials are configured. */
export const DEFAULT_ACCOUNT_ID = "000000000000";

/** The principal of an unauthenticated request on a server without credentials. */
export const ANONYMOUS: Principal = Object.freeze({
  accountId: DEFAULT_ACCOUNT_ID,
  arn: `arn:aws:iam::${DEFAULT_ACCOUNT_ID}:root`,
  id: "anonymous",
  via: "anonymous",
});
