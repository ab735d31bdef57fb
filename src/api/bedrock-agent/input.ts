// Validators shared by the bedrock-agent operations: path ids, names, descriptions, client
// tokens and paging, with the constraints of the bedrock-agent API reference. Each failure is a
// ValidationException naming the field.
import { RESOURCE_ID_PATTERN } from "../../kb/store/ids.ts";
import type { PageRequest } from "../../kb/store/knowledge-base-store.ts";
import { validation } from "../../spec/errors.ts";
import { optionalNumber, optionalString, string } from "../../util/validate.ts";
import type { RequestContext } from "../protocol/http.ts";

/** Knowledge-base and data-source names: `^([0-9a-zA-Z][_-]?){1,100}$`. */
export const NAME_PATTERN = /^([0-9a-zA-Z][_-]?){1,100}$/;
/** IAM role ARNs as Bedrock accepts them. */
export const ROLE_ARN_PATTERN = /^arn:aws(-[^:]+)?:iam::([0-9]{12})?:role\/.+$/;
/** Client tokens: 33–256 characters. */
const CLIENT_TOKEN_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,256}$/;
const NEXT_TOKEN_PATTERN = /^\S*$/;

/** A path id (knowledge base, data source, ingestion job): ten letters and digits. */
export function pathId(ctx: RequestContext, name: string): string {
  const value = ctx.params[name] ?? "";
  if (!RESOURCE_ID_PATTERN.test(value)) throw validation(name, `Member must satisfy regular expression pattern: ${RESOURCE_ID_PATTERN.source}`);
  return value;
}

/** A required resource name. */
export function name(value: unknown, field = "name"): string {
  if (value === undefined || value === null) throw validation(field, "Member must not be null");
  return string(value, field, { pattern: NAME_PATTERN });
}

/** An optional description (1–200 characters). */
export function description(value: unknown, field = "description"): string | undefined {
  return optionalString(value, field, { min: 1, max: 200 });
}

/** An optional client token. */
export function clientToken(value: unknown, field = "clientToken"): string | undefined {
  return optionalString(value, field, { min: 33, max: 256, pattern: CLIENT_TOKEN_PATTERN });
}

/** A required member. */
export function required<T>(value: T | undefined | null, field: string): T {
  if (value === undefined || value === null) throw validation(field, "Member must not be null");
  return value;
}

/** maxResults (1–1000) and nextToken of a List operation's body. */
export function pageRequest(body: Record<string, unknown>): PageRequest {
  const page: PageRequest = {};
  const maxResults = optionalNumber(body.maxResults, "maxResults", { integer: true, min: 1, max: 1000 });
  if (maxResults !== undefined) page.maxResults = maxResults;
  const nextToken = optionalString(body.nextToken, "nextToken", { min: 1, max: 2048, pattern: NEXT_TOKEN_PATTERN });
  if (nextToken !== undefined) page.nextToken = nextToken;
  return page;
}

/** Fields in `body` this server accepts but does not act on, for a warning in the log. */
export function ignoredFields(body: Record<string, unknown>, fields: readonly string[]): string[] {
  return fields.filter((f) => body[f] !== undefined && body[f] !== null);
}
