// Credentials: AWS access key IDs (fixed prefixes), AWS secret keys (40 base64-ish characters
// near a secret-key cue or an access key), and passwords and user names after their labels.
import type { PiiMatch } from "../../policy.ts";
import { isPlainEnglishWord } from "./lexicon.ts";
import { cueBefore, makeMatch, matchAll, type PiiRule } from "./scan.ts";

// ---- AWS ----

// Unique-ID prefixes from AWS IAM's documentation (AKIA: user access key, ASIA: STS, …).
const AWS_ACCESS_KEY = /(?<![A-Za-z0-9])(?:AKIA|ASIA|ABIA|ACCA|AGPA|AIDA|AIPA|ANPA|ANVA|APKA|AROA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Za-z0-9])/g;
const AWS_SECRET = /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;
const SECRET_CUE = /(?:secret[_ -]?(?:access[_ -]?)?key|aws[_ -]?secret|SecretAccessKey|secret_key)[^\n]{0,30}$/i;

const accessKeyRule: PiiRule = {
  type: "AWS_ACCESS_KEY",
  find(text) {
    const out: PiiMatch[] = [];
    for (const m of matchAll(AWS_ACCESS_KEY, text)) out.push(makeMatch("AWS_ACCESS_KEY", text, m.index, m.index + m[0].length, 1));
    return out;
  },
};

const secretKeyRule: PiiRule = {
  type: "AWS_SECRET_KEY",
  find(text) {
    const out: PiiMatch[] = [];
    for (const m of matchAll(AWS_SECRET, text)) {
      const value = m[0];
      // A 40-character hex string is a SHA-1 (a commit id), not a key.
      if (/^[0-9a-f]{40}$/i.test(value) || !/[A-Z]/.test(value) || !/[a-z]/.test(value)) continue;
      AWS_ACCESS_KEY.lastIndex = 0;
      const nearKey = AWS_ACCESS_KEY.test(text.slice(Math.max(0, m.index - 160), m.index));
      if (nearKey || cueBefore(text, m.index, SECRET_CUE, 60)) out.push(makeMatch("AWS_SECRET_KEY", text, m.index, m.index + value.length, 0.9));
    }
    return out;
  },
};

// ---- Labelled secrets: "password: X", "username is X" ----

/** Label, separator, then a quoted value (group q) or a bare token (group v). */
function labelled(label: string): RegExp {
  return new RegExp(
    String.raw`\b(?:${label})\b[ \t]*(?<sep>:=|[:=]|->|\bis\b|\bwas\b|\bto\b)[ \t]*(?:(?<quote>["'\x60])(?<q>[^"'\x60\n]{1,128})\k<quote>|(?<v>[^\s"'\x60]{1,128}))`,
    "gid",
  );
}

const PASSWORD = labelled(String.raw`password|passwd|pwd|passcode|pass ?phrase|pw|mot de passe|contraseña|passwort`);
const USERNAME = labelled(String.raw`user ?name|user ?id|login(?: name| id)?|screen ?name|nick ?name|handle|account name|usuario|benutzername`);

/** Reads a labelled value; a bare English word after "is"/"to" ("password is incorrect") is not a secret. */
function labelledRule(type: "PASSWORD" | "USERNAME", re: RegExp, score: number): PiiRule {
  return {
    type,
    find(text) {
      const out: PiiMatch[] = [];
      for (const m of matchAll(re, text)) {
        const quoted = m.indices?.groups?.q;
        if (quoted) {
          out.push(makeMatch(type, text, quoted[0], quoted[1], score));
          continue;
        }
        const span = m.indices?.groups?.v;
        if (!span) continue;
        const value = text.slice(span[0], span[1]).replace(/[.,;:!?)\]}>]+$/, "");
        if (value.length === 0) continue;
        const wordy = /^(?:is|was|to)$/i.test(m.groups?.sep ?? "");
        if (wordy && isPlainEnglishWord(value)) continue;
        if (/^(?:\*+|x+|\.+|null|none|n\/a|required|empty|blank)$/i.test(value)) continue;
        out.push(makeMatch(type, text, span[0], span[0] + value.length, score));
      }
      return out;
    },
  };
}

/** AWS key, password and user-name rules. */
export const credentialRules: readonly PiiRule[] = [
  accessKeyRule,
  secretKeyRule,
  labelledRule("PASSWORD", PASSWORD, 0.85),
  labelledRule("USERNAME", USERNAME, 0.8),
];
