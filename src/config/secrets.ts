// Resolves secret references. The resolved value is handed to the code that needs it and
// never logged; errors name the reference, not the value.
import { readFileSync } from "node:fs";
import { BasaltError } from "../spec/errors.ts";

/** Resolves `env::NAME` or `file::/path` to the secret's value. */
export function resolveSecret(reference: string): string {
  if (reference.startsWith("env::")) {
    const name = reference.slice(5);
    const value = process.env[name];
    if (value === undefined || value === "") {
      throw new BasaltError("SERVICE_UNAVAILABLE", `Secret reference ${reference} is not set in the environment.`);
    }
    return value;
  }
  if (reference.startsWith("file::")) {
    try {
      return readFileSync(reference.slice(6), "utf8").trim();
    } catch (error) {
      throw new BasaltError("SERVICE_UNAVAILABLE", `Secret reference ${reference} could not be read.`, { cause: error });
    }
  }
  throw new BasaltError("SERVICE_UNAVAILABLE", "Invalid secret reference.");
}
