// Long texts are scored whole and piece by piece, taking the highest score. A linear model
// adds up evidence, so one harmful sentence inside a page of benign text is outweighed in
// the whole-text features (and in any window much larger than itself); scored as its own
// piece it stands out. Pieces are sentences, merged while short and cut while long.

/** Piece lengths, in UTF-16 code units of the normalized text. */
export interface WindowConfig {
  /** A text no longer than this is scored whole only. */
  single: number;
  /** Consecutive sentences merge until a piece reaches this length. */
  min: number;
  /** A longer sentence is cut at spaces into pieces of about this length. */
  max: number;
}

/** The defaults the shipped weights were calibrated with. */
export const DEFAULT_WINDOWS: WindowConfig = { single: 160, min: 24, max: 240 };

/** A sentence ends at ., ! or ? (possibly repeated, possibly closing a quote) before a space. */
const SENTENCE_END = /[.!?]+["'”’)\]]*\s+/g;

/** The pieces of a normalized text; none when it is short enough to score whole. */
export function windowsOf(text: string, config: WindowConfig = DEFAULT_WINDOWS): string[] {
  if (text.length <= config.single) return [];
  const out: string[] = [];
  let piece = "";
  const push = (sentence: string) => {
    for (const part of cut(sentence, config.max)) {
      piece = piece ? `${piece} ${part}` : part;
      if (piece.length >= config.min) {
        out.push(piece);
        piece = "";
      }
    }
  };
  let start = 0;
  for (const match of text.matchAll(SENTENCE_END)) {
    const end = match.index + match[0].length;
    push(text.slice(start, end).trim());
    start = end;
  }
  if (start < text.length) push(text.slice(start).trim());
  if (piece) {
    // A short tail joins the last piece rather than being scored on its own.
    if (out.length > 0 && out[out.length - 1]!.length + piece.length < config.max) out[out.length - 1] += ` ${piece}`;
    else out.push(piece);
  }
  return out;
}

/** Cuts a long sentence at spaces into parts of at most about `max` characters. */
function cut(sentence: string, max: number): string[] {
  if (sentence.length <= max) return [sentence];
  const parts: string[] = [];
  let rest = sentence;
  while (rest.length > max) {
    const space = rest.lastIndexOf(" ", max);
    const at = space > max / 2 ? space : max;
    parts.push(rest.slice(0, at).trim());
    rest = rest.slice(at).trim();
  }
  if (rest) parts.push(rest);
  return parts;
}
