// Client tokens (`clientToken`) of the knowledge-base operations that take one. Claimed inside the
// operation's transaction: a retried request with the same token and parameters finds the first
// one's outcome; a concurrent one waits on the primary key until the first commits.
import { createHash } from "node:crypto";
import type { Queryable } from "../../store/db/database.ts";

/** How long a token is remembered (AWS documents at least eight hours). */
export const CLIENT_TOKEN_TTL_MS = 24 * 60 * 60 * 1000;

/** Names one token: the account, what it applies to (operation and parent id) and the token. */
export interface ClientTokenKey {
  accountId: string;
  scope: string;
  token: string;
}

/** The outcome of {@link claimClientToken}. */
export type TokenClaim = { claimed: true } | { claimed: false; sameRequest: boolean; resourceId?: string };

/** Canonical JSON (sorted keys), so equal requests compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, v: unknown) => {
    if (v && typeof v === "object" && !Array.isArray(v)) return Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return v;
  });
}

/** A digest of a request's parameters. */
export function requestFingerprint(request: unknown): string {
  return createHash("sha256").update(canonicalJson(request)).digest("hex");
}

/** Records the token for this request, or reports what an earlier request with it did. */
export async function claimClientToken(db: Queryable, key: ClientTokenKey, fingerprint: string, now: number): Promise<TokenClaim> {
  // Expired tokens go first, so an old token may be claimed anew.
  await db.execute("DELETE FROM kb_client_tokens WHERE created_at < $1", [now - CLIENT_TOKEN_TTL_MS]);
  const { changes } = await db.execute(
    `INSERT INTO kb_client_tokens (account_id, scope, client_token, request_fingerprint, created_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (account_id, scope, client_token) DO NOTHING`,
    [key.accountId, key.scope, key.token, fingerprint, now],
  );
  if (changes === 1) return { claimed: true };
  const [row] = await db.query<{ request_fingerprint: string; resource_id: string | null }>(
    "SELECT request_fingerprint, resource_id FROM kb_client_tokens WHERE account_id = $1 AND scope = $2 AND client_token = $3",
    [key.accountId, key.scope, key.token],
  );
  if (!row) throw new Error("A client token insert was skipped as a duplicate, yet no row holds the token.");
  return { claimed: false, sameRequest: row.request_fingerprint === fingerprint, resourceId: row.resource_id ?? undefined };
}

/** Remembers the resource the token's request created. */
export async function setClientTokenResource(db: Queryable, key: ClientTokenKey, resourceId: string): Promise<void> {
  await db.execute("UPDATE kb_client_tokens SET resource_id = $4 WHERE account_id = $1 AND scope = $2 AND client_token = $3", [
    key.accountId,
    key.scope,
    key.token,
    resourceId,
  ]);
}
