// Splits a text into code-point units with a coarse class each, and finds words spelled out
// letter by letter ("b a d", "b.a.d", "b - a - d") so matchers can join them. Both the
// custom-word matcher and the profanity matcher read text through this, so an evasion that
// defeats one defeats neither.

/** What a code point is for matching purposes. */
export const UnitClass = {
  /** A letter, a digit, or a leetspeak symbol (@, $): part of a word. */
  Word: 0,
  /** Whitespace. */
  Space: 1,
  /** Punctuation and other symbols. */
  Other: 2,
  /** An invisible format character (zero-width space, soft hyphen, joiners): dropped. */
  Format: 3,
  /** A combining mark: part of the letter before it. */
  Mark: 4,
} as const;
/** One of {@link UnitClass}'s values. */
export type UnitClass = (typeof UnitClass)[keyof typeof UnitClass];

/** One code point of the original text: its UTF-16 span and class. */
export interface TextUnit {
  start: number;
  end: number;
  cls: UnitClass;
}

/** A run of at least this many single-letter tokens is read as one spelled-out word. */
const MIN_SPELLED_LETTERS = 3;
/** Separators longer than this (in visible code points) end a spelled-out word. */
const MAX_SEPARATOR_UNITS = 3;
/** English words of one letter: a spelled-out run may begin with one ("I h a t e", "a s h i t"). */
const ONE_LETTER_WORDS = new Set(["a", "A", "i", "I"]);

const ASCII_CLASS = new Uint8Array(128).fill(UnitClass.Other);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9@$]/.test(ch)) ASCII_CLASS[c] = UnitClass.Word;
  else if (/\s/.test(ch)) ASCII_CLASS[c] = UnitClass.Space;
}

const WORD_CP = /[\p{L}\p{N}]/u;
const SPACE_CP = /\s/u;
const FORMAT_CP = /\p{Cf}/u;
const MARK_CP = /\p{M}/u;

/** The class of one code point. */
export function classify(cp: number): UnitClass {
  if (cp < 128) return ASCII_CLASS[cp] as UnitClass;
  const ch = String.fromCodePoint(cp);
  if (WORD_CP.test(ch)) return UnitClass.Word;
  if (SPACE_CP.test(ch)) return UnitClass.Space;
  if (FORMAT_CP.test(ch)) return UnitClass.Format;
  if (MARK_CP.test(ch)) return UnitClass.Mark;
  return UnitClass.Other;
}

/** True for units that take no room: format characters and combining marks. */
export function isInvisible(cls: UnitClass): boolean {
  return cls === UnitClass.Format || cls === UnitClass.Mark;
}

/** The code-point units of `text`, in order. */
export function segment(text: string): TextUnit[] {
  const units: TextUnit[] = [];
  for (let i = 0; i < text.length; ) {
    const cp = text.codePointAt(i)!;
    const width = cp > 0xffff ? 2 : 1;
    units.push({ start: i, end: i + width, cls: classify(cp) });
    i += width;
  }
  return units;
}

/** A maximal run of word units (invisible units inside it are skipped). */
interface Token {
  /** Index of the first and one past the last unit of the token. */
  first: number;
  last: number;
  /** Visible word units in it. */
  letters: number;
}

function tokens(units: readonly TextUnit[]): Token[] {
  const out: Token[] = [];
  let current: Token | undefined;
  for (let i = 0; i < units.length; i++) {
    const cls = units[i]!.cls;
    if (isInvisible(cls)) continue;
    if (cls === UnitClass.Word) {
      if (current) {
        current.last = i + 1;
        current.letters++;
      } else {
        current = { first: i, last: i + 1, letters: 1 };
        out.push(current);
      }
    } else {
      current = undefined;
    }
  }
  return out;
}

function visibleUnits(units: readonly TextUnit[], from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) if (!isInvisible(units[i]!.cls)) n++;
  return n;
}

/** Where a text spells words out letter by letter. */
export interface SpelledOut {
  /** Units to drop so each spelled-out word reads as one word. */
  separators: Set<number>;
  /**
   * The first separator of runs that begin with a one-letter word ("I h a t e" is "I hate" as
   * often as "ihate"): keeping these gives that second reading.
   */
  leadingGaps: Set<number>;
  /** The unit of the second letter of those runs, where the second reading's word starts. */
  secondStarts: Set<number>;
}

/**
 * Finds runs of ≥ 3 single-letter tokens whose separators are 1–3 visible characters
 * ("b a d", "b.a.d" and "b - a - d" all read "bad"; "a b" and "b    a    d" stay apart).
 */
export function spelledOut(text: string, units: readonly TextUnit[]): SpelledOut {
  const found: SpelledOut = { separators: new Set(), leadingGaps: new Set(), secondStarts: new Set() };
  const list = tokens(units);
  let runStart = 0;
  const closeRun = (runEnd: number) => {
    if (runEnd - runStart < MIN_SPELLED_LETTERS) return;
    for (let t = runStart; t + 1 < runEnd; t++) {
      for (let u = list[t]!.last; u < list[t + 1]!.first; u++) {
        found.separators.add(u);
        if (t === runStart && ONE_LETTER_WORDS.has(text.slice(units[list[t]!.first]!.start, units[list[t]!.first]!.end))) {
          found.leadingGaps.add(u);
          found.secondStarts.add(list[t + 1]!.first);
        }
      }
    }
  };
  for (let t = 0; t < list.length; t++) {
    const token = list[t]!;
    const joins =
      t > runStart &&
      token.letters === 1 &&
      list[t - 1]!.letters === 1 &&
      visibleUnits(units, list[t - 1]!.last, token.first) <= MAX_SEPARATOR_UNITS;
    if (!joins) {
      closeRun(t);
      runStart = t;
    }
  }
  closeRun(list.length);
  return found;
}

/** `text` with spelled-out words joined, and each of its UTF-16 offsets mapped back to `text`. */
export interface Despaced {
  text: string;
  /** Original offset of each UTF-16 unit of `text`; one extra entry maps the end. */
  toOriginal: Int32Array;
}

/**
 * `text` without the units in `drop` and without format characters (zero-width spaces hide
 * words from matchers that read text as written).
 */
export function despace(text: string, units: readonly TextUnit[], drop: ReadonlySet<number>): Despaced {
  const parts: string[] = [];
  const offsets: number[] = [];
  for (let i = 0; i < units.length; i++) {
    const unit = units[i]!;
    if (drop.has(i) || unit.cls === UnitClass.Format) continue;
    parts.push(text.slice(unit.start, unit.end));
    for (let o = unit.start; o < unit.end; o++) offsets.push(o);
  }
  offsets.push(text.length);
  return { text: parts.join(""), toOriginal: Int32Array.from(offsets) };
}
