// Small, fast validators for wire input. Each failure is a ValidationException naming the
// offending field the way Bedrock does (`messages.0.content.1.image.format`).
import { validation } from "../spec/errors.ts";

/** A JSON object from the wire. */
export type Obj = Record<string, unknown>;

export function isObject(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function object(value: unknown, field: string): Obj {
  if (!isObject(value)) throw validation(field, "must be an object");
  return value;
}

export function optionalObject(value: unknown, field: string): Obj | undefined {
  return value === undefined || value === null ? undefined : object(value, field);
}

export function array(value: unknown, field: string, options: { min?: number; max?: number } = {}): unknown[] {
  if (!Array.isArray(value)) throw validation(field, "must be a list");
  if (options.min !== undefined && value.length < options.min) {
    throw validation(field, `Member must have length greater than or equal to ${options.min}`);
  }
  if (options.max !== undefined && value.length > options.max) {
    throw validation(field, `Member must have length less than or equal to ${options.max}`);
  }
  return value;
}

export function optionalArray(value: unknown, field: string, options: { min?: number; max?: number } = {}): unknown[] | undefined {
  return value === undefined || value === null ? undefined : array(value, field, options);
}

export function string(value: unknown, field: string, options: { min?: number; max?: number; pattern?: RegExp } = {}): string {
  if (typeof value !== "string") throw validation(field, "must be a string");
  if (options.min !== undefined && value.length < options.min) {
    throw validation(field, `Member must have length greater than or equal to ${options.min}`);
  }
  if (options.max !== undefined && value.length > options.max) {
    throw validation(field, `Member must have length less than or equal to ${options.max}`);
  }
  if (options.pattern && !options.pattern.test(value)) {
    throw validation(field, `Member must satisfy regular expression pattern: ${options.pattern.source}`);
  }
  return value;
}

export function optionalString(value: unknown, field: string, options: { min?: number; max?: number; pattern?: RegExp } = {}): string | undefined {
  return value === undefined || value === null ? undefined : string(value, field, options);
}

export function number(value: unknown, field: string, options: { min?: number; max?: number; integer?: boolean } = {}): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw validation(field, "must be a number");
  if (options.integer && !Number.isInteger(value)) throw validation(field, "must be an integer");
  if (options.min !== undefined && value < options.min) {
    throw validation(field, `Member must have value greater than or equal to ${options.min}`);
  }
  if (options.max !== undefined && value > options.max) {
    throw validation(field, `Member must have value less than or equal to ${options.max}`);
  }
  return value;
}

export function optionalNumber(value: unknown, field: string, options: { min?: number; max?: number; integer?: boolean } = {}): number | undefined {
  return value === undefined || value === null ? undefined : number(value, field, options);
}

export function optionalBoolean(value: unknown, field: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw validation(field, "must be a boolean");
  return value;
}

export function oneOf<T extends string>(value: unknown, field: string, allowed: readonly T[]): T {
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw validation(field, `Member must satisfy enum value set: [${allowed.join(", ")}]`);
  }
  return value as T;
}

/** The single key of a union-shaped object (`{text}` | `{image}` | …). */
export function unionMember(value: unknown, field: string): [string, unknown] {
  const obj = object(value, field);
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined && obj[k] !== null);
  if (keys.length !== 1) throw validation(field, "must set exactly one member of the union");
  return [keys[0]!, obj[keys[0]!]];
}

/** Decodes a base64 blob. */
export function base64(value: unknown, field: string): Uint8Array {
  const text = string(value, field);
  if (!/^[A-Za-z0-9+/\r\n]*={0,2}$/.test(text)) throw validation(field, "must be base64-encoded bytes");
  return Buffer.from(text, "base64");
}
