// Validators for OpenAI request bodies. Failures are 400s that name the parameter the way
// OpenAI does (`messages[1].content[0].image_url.url`) with OpenAI's codes, so client code
// that inspects `error.param` / `error.code` behaves as it would against OpenAI. `null`
// counts as absent, as it does for OpenAI.
import { invalidRequest, type OpenAiError } from "./errors.ts";

/** A JSON object from the wire. */
export type Obj = Record<string, unknown>;

function typeName(value: unknown): string {
  if (Array.isArray(value)) return "an array";
  if (typeof value === "number") return Number.isInteger(value) ? "an integer" : "a decimal";
  if (typeof value === "object") return "an object";
  return `a ${typeof value}`;
}

/** `Invalid type for 'param': expected …, but got … instead.` (or a missing-parameter error for nothing). */
export function invalidType(param: string, expected: string, value: unknown): OpenAiError {
  if (value === undefined || value === null) return missing(param);
  return invalidRequest(param, `Invalid type for '${param}': expected ${expected}, but got ${typeName(value)} instead.`, "invalid_type");
}

/** `Missing required parameter: 'param'.` */
export function missing(param: string): OpenAiError {
  return invalidRequest(param, `Missing required parameter: '${param}'.`, "missing_required_parameter");
}

/** True for a plain JSON object (not null, not an array). */
export function isObject(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A required object. */
export function object(value: unknown, param: string): Obj {
  if (value === undefined || value === null) throw missing(param);
  if (!isObject(value)) throw invalidType(param, "an object", value);
  return value;
}

/** A required string. */
export function string(value: unknown, param: string): string {
  if (value === undefined || value === null) throw missing(param);
  if (typeof value !== "string") throw invalidType(param, "a string", value);
  return value;
}

/** An optional string. */
export function optionalString(value: unknown, param: string): string | undefined {
  return value === undefined || value === null ? undefined : string(value, param);
}

/** A required array of at least `min` items. */
export function array(value: unknown, param: string, min = 0): unknown[] {
  if (value === undefined || value === null) throw missing(param);
  if (!Array.isArray(value)) throw invalidType(param, "an array", value);
  if (value.length < min) {
    throw invalidRequest(param, `Invalid '${param}': empty array. Expected an array with minimum length ${min}, but got an empty array instead.`, "empty_array");
  }
  return value;
}

/** Options of {@link optionalNumber}. */
export interface NumberOptions {
  min?: number;
  max?: number;
  integer?: boolean;
}

/** An optional number within the given bounds. */
export function optionalNumber(value: unknown, param: string, options: NumberOptions = {}): number | undefined {
  if (value === undefined || value === null) return undefined;
  const integer = options.integer === true;
  if (typeof value !== "number" || !Number.isFinite(value) || (integer && !Number.isInteger(value))) {
    throw invalidType(param, integer ? "an integer" : "a decimal", value);
  }
  if ((options.min !== undefined && value < options.min) || (options.max !== undefined && value > options.max)) {
    const range = options.max === undefined ? `>= ${options.min}` : options.min === undefined ? `<= ${options.max}` : `between ${options.min} and ${options.max}`;
    throw invalidRequest(param, `Invalid '${param}': expected a value ${range}, but got ${value} instead.`);
  }
  return value;
}

/** An optional boolean. */
export function optionalBoolean(value: unknown, param: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw invalidType(param, "a boolean", value);
  return value;
}

/** One of `allowed`, with OpenAI's "Supported values are" message. */
export function oneOf<T extends string>(value: unknown, param: string, allowed: readonly T[]): T {
  if (typeof value !== "string") throw value === undefined || value === null ? missing(param) : invalidType(param, "a string", value);
  if (!(allowed as readonly string[]).includes(value)) {
    const list = allowed.map((a) => `'${a}'`).join(", ");
    throw invalidRequest(param, `Invalid value: '${value}'. Supported values are: ${list}.`);
  }
  return value as T;
}
