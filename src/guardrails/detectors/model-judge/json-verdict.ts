// Reading a JSON verdict from an instruction model's reply, forgivingly: the object may sit in a
// code fence or after a sentence, carry trailing commas, and give scores as numbers, booleans,
// percentages, "yes"/"no" or Bedrock's confidence words. Anything else is unreadable (undefined).

/** The first JSON object or array in `reply`, parsed; undefined when there is none. */
export function extractJson(reply: string): unknown {
  const text = reply.replace(/```(?:json)?/gi, "").trim();
  const direct = tryParse(text);
  if (direct !== undefined) return direct;
  for (let from = firstBracket(text, 0); from !== -1; from = firstBracket(text, from + 1)) {
    const end = balancedEnd(text, from);
    if (end === -1) continue;
    const parsed = tryParse(text.slice(from, end));
    if (parsed !== undefined) return parsed;
  }
  return undefined;
}

function firstBracket(text: string, from: number): number {
  for (let i = from; i < text.length; i++) if (text[i] === "{" || text[i] === "[") return i;
  return -1;
}

/** The index just past the bracket closing the one at `from` (strings respected), or -1. */
function balancedEnd(text: string, from: number): number {
  let depth = 0;
  let inString = false;
  for (let i = from; i < text.length; i++) {
    const ch = text[i];
    if (inString) {
      if (ch === "\\") i++;
      else if (ch === '"') inString = false;
    } else if (ch === '"') inString = true;
    else if (ch === "{" || ch === "[") depth++;
    else if (ch === "}" || ch === "]") {
      depth--;
      if (depth === 0) return i + 1;
    }
  }
  return -1;
}

function tryParse(text: string): unknown {
  if (!text.startsWith("{") && !text.startsWith("[")) return undefined;
  for (const candidate of [text, text.replace(/,\s*([}\]])/g, "$1")]) {
    try {
      return JSON.parse(candidate) as unknown;
    } catch {
      // try the next reading
    }
  }
  return undefined;
}

const WORD_SCORES: Readonly<Record<string, number>> = {
  yes: 1, true: 1, detected: 1, unsafe: 1, high: 1,
  medium: 0.66, low: 0.33,
  no: 0, false: 0, safe: 0, none: 0, "not detected": 0,
};

/** A score in [0, 1] from a number (0–1, or a percentage), boolean, word or `{score}` object. */
export function readScore(value: unknown): number | undefined {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value === "number" && Number.isFinite(value)) {
    if (value < 0) return 0;
    return value <= 1 ? value : value <= 100 ? value / 100 : undefined;
  }
  if (typeof value === "string") {
    const word = value.trim().toLowerCase();
    if (Object.hasOwn(WORD_SCORES, word)) return WORD_SCORES[word];
    const number = Number(word.replace(/%$/, ""));
    if (word !== "" && Number.isFinite(number)) return readScore(word.endsWith("%") ? number / 100 : number);
    return undefined;
  }
  if (isRecord(value)) return readScore(value.score ?? value.probability ?? value.detected ?? value.value);
  return undefined;
}

/** A plain JSON object. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Compares names loosely: case, spacing, hyphens and underscores do not matter. */
export function nameKey(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, " ").trim();
}
