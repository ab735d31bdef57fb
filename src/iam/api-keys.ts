// Bearer API keys (`Authorization: Bearer <key>`), which Bedrock's runtime accepts besides
// SigV4. A key is `basalt_<id>_<secret><check>`: the prefix lets secret scanners and people
// recognise it, the id finds the record without scanning, the secret has 256 random bits,
// and the 6-character check rejects typos before any lookup. Only an HMAC of the key under
// a server-side pepper and a per-key salt is stored: a leaked database alone cannot be used
// to authenticate or to test guesses. The secret is random, not a password, so a fast
// keyed hash suffices where a slow KDF would only cost CPU on every request.
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { authFailure, INVALID_TOKEN_MESSAGE, type AuthFailure } from "./auth-errors.ts";
import { headerValue, type WireHeaders } from "./sigv4-canonical.ts";

/** Every Basalt API key starts with this. */
export const API_KEY_PREFIX = "basalt_";

const KEY_PATTERN = /^basalt_([a-z2-7]{12})_([A-Za-z0-9_-]{43})([A-Za-z0-9_-]{6})$/;
const HASH_VERSION = "v1";
const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";
const MIN_PEPPER_BYTES = 16;

/** A freshly generated key: `key` is shown to the user once and never stored. */
export interface IssuedApiKey {
  /** Public identifier, safe to list and log. */
  id: string;
  /** The full secret key. */
  key: string;
  /** What a console shows in place of the key: `basalt_<id>_…`. */
  displayPrefix: string;
  /** The storage form (salted, peppered HMAC). */
  hash: string;
}

/** What the store keeps for a key. */
export interface ApiKeyRecord {
  id: string;
  hash: string;
  /** Epoch ms after which the key is refused; none: never expires. */
  expiresAt?: number;
}

/** Finds a stored key by id; undefined for an unknown or revoked key. */
export type ApiKeyLookup = (id: string) => Promise<ApiKeyRecord | undefined> | ApiKeyRecord | undefined;

/** Generates a new API key and its storage form. */
export function generateApiKey(pepper: string | Uint8Array): IssuedApiKey {
  checkPepper(pepper);
  const id = base32(randomBytes(8)).slice(0, 12);
  const body = `${API_KEY_PREFIX}${id}_${randomBytes(32).toString("base64url")}`;
  const key = body + checksum(body);
  return { id, key, displayPrefix: `${API_KEY_PREFIX}${id}_…`, hash: hashApiKey(key, pepper) };
}

/** The id inside a well-formed key with a valid check; undefined otherwise. */
export function parseApiKey(key: string): { id: string } | undefined {
  const m = KEY_PATTERN.exec(key);
  if (!m) return undefined;
  const body = key.slice(0, key.length - 6);
  if (!constantTimeEqual(Buffer.from(checksum(body)), Buffer.from(m[3]!))) return undefined;
  return { id: m[1]! };
}

/** The storage form of a key: `v1$<salt>$<HMAC-SHA256(pepper, salt:key)>`. */
export function hashApiKey(key: string, pepper: string | Uint8Array, salt: Buffer = randomBytes(16)): string {
  checkPepper(pepper);
  const mac = createHmac("sha256", pepper).update(salt).update(":").update(key).digest("base64url");
  return `${HASH_VERSION}$${salt.toString("base64url")}$${mac}`;
}

/** Whether `key` matches a stored hash, compared in constant time. */
export function verifyApiKeyHash(key: string, stored: string, pepper: string | Uint8Array): boolean {
  const [version, salt, mac] = stored.split("$");
  if (version !== HASH_VERSION || salt === undefined || mac === undefined) return false;
  const expected = hashApiKey(key, pepper, Buffer.from(salt, "base64url")).split("$")[2]!;
  return constantTimeEqual(Buffer.from(expected), Buffer.from(mac));
}

/** Options of {@link ApiKeyVerifier}. */
export interface ApiKeyVerifierOptions {
  lookup: ApiKeyLookup;
  pepper: string | Uint8Array;
  now?: () => number;
}

/** A request whose bearer key verified. */
export interface ApiKeySuccess {
  ok: true;
  keyId: string;
}

/** Verifies `Authorization: Bearer <key>` against stored keys. */
export class ApiKeyVerifier {
  private readonly lookup: ApiKeyLookup;
  private readonly pepper: string | Uint8Array;
  private readonly now: () => number;

  constructor(options: ApiKeyVerifierOptions) {
    checkPepper(options.pepper);
    this.lookup = options.lookup;
    this.pepper = options.pepper;
    this.now = options.now ?? Date.now;
  }

  /** Whether the request carries a bearer token. */
  static isBearer(headers: WireHeaders): boolean {
    return /^bearer\s/i.test(headerValue(headers, "authorization")?.trimStart() ?? "");
  }

  /** Verifies the bearer key in `headers`; never throws for anything the client sent. */
  async verify(headers: WireHeaders): Promise<ApiKeySuccess | AuthFailure> {
    const header = headerValue(headers, "authorization")?.trim();
    if (!header) return authFailure("missing", "MISSING_AUTHENTICATION", "Missing Authentication Token");
    const token = /^bearer\s+(\S+)$/i.exec(header)?.[1];
    const parsed = token === undefined ? undefined : parseApiKey(token);
    if (token === undefined || parsed === undefined) {
      return authFailure("malformed", "UNRECOGNIZED_CLIENT", `${INVALID_TOKEN_MESSAGE} Expected 'Authorization: Bearer ${API_KEY_PREFIX}…'.`);
    }
    const record = await this.lookup(parsed.id);
    if (!record || !verifyApiKeyHash(token, record.hash, this.pepper)) {
      return authFailure("unknown-key", "UNRECOGNIZED_CLIENT", INVALID_TOKEN_MESSAGE);
    }
    if (record.expiresAt !== undefined && record.expiresAt <= this.now()) {
      return authFailure("key-expired", "EXPIRED_TOKEN", "The security token included in the request is expired");
    }
    return { ok: true, keyId: record.id };
  }
}

function checksum(body: string): string {
  return createHash("sha256").update(body).digest("base64url").slice(0, 6);
}

function base32(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

function constantTimeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

function checkPepper(pepper: string | Uint8Array): void {
  const length = typeof pepper === "string" ? Buffer.byteLength(pepper) : pepper.length;
  if (length < MIN_PEPPER_BYTES) throw new Error(`The API key pepper must be at least ${MIN_PEPPER_BYTES} bytes.`);
}
