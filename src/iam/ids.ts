// Identifiers and ARNs of IAM entities, shaped like AWS's so tools that parse them work:
// 12-digit account ids, unique ids with AWS's prefixes (AIDA users, AROA roles, ANPA
// policies), and `arn:aws:iam::<account>:<type>/<name>` ARNs.
import { randomInt } from "node:crypto";
import { BasaltError } from "../spec/errors.ts";
import { DEFAULT_ACCOUNT_ID } from "../spec/principal.ts";

/** What an IAM principal is. */
export type PrincipalType = "user" | "role";

const UNIQUE_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const NAME_PATTERN = /^[\w+=,.@-]{1,64}$/;
const ACCOUNT_PATTERN = /^\d{12}$/;

/** A random unique id such as `AIDA…` (prefix plus 16 characters). */
export function uniqueId(prefix: "AIDA" | "AROA" | "ANPA"): string {
  let id = prefix;
  for (let i = 0; i < 16; i++) id += UNIQUE_ID_ALPHABET[randomInt(UNIQUE_ID_ALPHABET.length)];
  return id;
}

/** A random 12-digit account id, never the default account's. */
export function newAccountId(): string {
  for (;;) {
    let id = "";
    for (let i = 0; i < 12; i++) id += String(randomInt(10));
    if (id !== DEFAULT_ACCOUNT_ID) return id;
  }
}

/** ARN of a user or role: `arn:aws:iam::<account>:user/<name>`. */
export function principalArn(accountId: string, type: PrincipalType, name: string): string {
  return `arn:aws:iam::${accountId}:${type}/${name}`;
}

/** ARN of a customer-managed policy. */
export function policyArn(accountId: string, name: string): string {
  return `arn:aws:iam::${accountId}:policy/${name}`;
}

/** Checks a user, role or policy name as IAM does (letters, digits and `+=,.@_-`, 1–64). */
export function checkName(kind: string, name: string): string {
  if (!NAME_PATTERN.test(name)) {
    throw new BasaltError("VALIDATION", `The ${kind} name '${name}' is invalid: use 1 to 64 letters, digits and +=,.@_- characters.`);
  }
  return name;
}

/** Checks an account id (12 digits). */
export function checkAccountId(accountId: string): string {
  if (!ACCOUNT_PATTERN.test(accountId)) throw new BasaltError("VALIDATION", `The account id '${accountId}' is invalid: it has 12 digits.`);
  return accountId;
}
