// NAME: a fast rule-based person-name finder. Runs of capitalised words ("Szabina J Gelencsér",
// "Mr. Pálffy") are scored from what their words are (given name, surname, place, dictionary
// word, frequent word, unknown), their shape (diacritics, surname endings) and the words around
// them ("my name is", "Dear", "X said", a "Speaker:" line, a list of other names). See
// lexicon.ts for why this does not run compromise's tagger.
import type { PiiMatch } from "../../policy.ts";
import { isVocabularyWord, lexicon, type Lexicon } from "./lexicon.ts";
import {
  AMBIGUOUS, HONORIFICS, LABELS, LEADERS, LIST_JOIN, NAMING_CUE, NON_ASCII_LETTER, ORG_LEFT, ORG_RIGHT, PARTICLES,
  PERSON_LEFT, PERSON_RIGHT, PLACE_LEFT, PLACE_PREFIX, STREET_NUMBER_RIGHT, STRONG_CUE, SUFFIXES, SURNAME_ENDINGS,
} from "./name-words.ts";
import { makeMatch, type PiiRule } from "./scan.ts";

/** The least score a name candidate needs to be reported. */
const THRESHOLD = 0.5;
/** Most tokens in a name ("Dr. María José de la Cruz Fernández"). */
const MAX_RUN = 10;

interface Token {
  start: number;
  end: number;
  text: string;
  lower: string;
  /** Starts with an upper-case letter, is not all capitals and is not glued to an address or identifier. */
  cap: boolean;
  /** A single capital: the "J" of "Szabina J Gelencsér". */
  initial: boolean;
  /** Ended with a possessive "'s" (excluded from start/end). */
  possessive: boolean;
  /** Glued to an e-mail address, URL, number or identifier: never part of a name. */
  glued: boolean;
  /** Text between the previous token and this one. */
  gap: string;
}

/**
 * first/last/person: known names; place; common: a dictionary word of compromise's lexicon;
 * frequent: not in the lexicon but a frequent lower-case word (one o200k token); unknown.
 */
type Kind = "first" | "last" | "person" | "place" | "common" | "frequent" | "unknown";

const WORD = /\p{L}[\p{L}\p{M}]*(?:['’-]\p{L}[\p{L}\p{M}]*)*/gu;
/** Last words of the naming cues ("my name is", "call me"): only then is the cue regex run. */
const CUE_ENDINGS = new Set(["is", "was", "me", "him", "her", "it", "them", "named", "called", "as", "by", "name"]);
const CONTRACTION = /['’](?:m|s|re|ve|ll|d|t)$/;
const GLUED_BEFORE = /[@/._\\:#=&?+\d]/;
const GLUED_AFTER = /^(?:[@_+\d]|[./][\p{L}\d])/u;

/** Splits a text into word tokens with their context. */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let last = 0;
  for (const m of text.matchAll(WORD)) {
    const start = m.index;
    const possessive = /['’]s$/.test(m[0]) && m[0].length > 3;
    const word = possessive ? m[0].slice(0, -2) : m[0];
    const first = word[0] ?? "";
    const upperFirst = first !== first.toLowerCase();
    const allCaps = word.length > 1 && word === word.toUpperCase();
    // Part of an e-mail address, URL, handle or identifier ("UtaKortig@…", "/Smith/", "a_b").
    const end = start + m[0].length;
    const glued = GLUED_BEFORE.test(text[start - 1] ?? "") || GLUED_AFTER.test(text.slice(end, end + 2));
    tokens.push({
      start,
      end: start + word.length,
      text: word,
      lower: word.toLowerCase(),
      cap: upperFirst && !allCaps && !glued,
      initial: word.length === 1 && upperFirst,
      possessive,
      glued,
      gap: text.slice(last, start),
    });
    last = end;
  }
  return tokens;
}

function kindOf(lower: string, lex: Lexicon): Kind {
  if (lex.firstNames.has(lower)) return "first";
  if (lex.lastNames.has(lower)) return "last";
  if (lex.persons.has(lower)) return "person";
  if (lex.places.has(lower)) return "place";
  if (lex.common.has(lower) || lex.orgWords.has(lower) || lex.placeWords.has(lower) || LABELS.has(lower) || CONTRACTION.test(lower)) return "common";
  return isVocabularyWord(lower) ? "frequent" : "unknown";
}

const isNameKind = (k: Kind): boolean => k === "first" || k === "last" || k === "person";

/** True when the gap before a token ends a sentence or a line (so capitalisation says little). */
function opensSentence(tokens: readonly Token[], i: number): boolean {
  const t = tokens[i];
  if (!t || i === 0 || t.gap.includes("\n")) return true;
  const trimmed = t.gap.trim();
  if (trimmed === "") return false;
  const prev = tokens[i - 1];
  if (trimmed === "." && prev && (prev.initial || HONORIFICS.has(prev.lower))) return false;
  return /[.!?:;"“”(>*•–-]["”')\]]*$/.test(trimmed);
}

/** Whether a token may continue a name run begun by `prev`. */
function joins(prev: Token, next: Token): boolean {
  if (next.gap === " ") return true;
  return next.gap === ". " && (prev.initial || HONORIFICS.has(prev.lower));
}

/** Decides which tokens may be part of a name. */
function capability(text: string, tokens: readonly Token[], lex: Lexicon): boolean[] {
  const caseless = !/\p{Lu}/u.test(text);
  return tokens.map((t, i) => {
    if (t.glued) return false;
    if (t.cap || t.initial || SUFFIXES.has(t.lower)) return true;
    if (!caseless) return false;
    // In all-lower-case text: known names, and any word right after "my name is" / "call me".
    const prev = tokens[i - 1];
    if (lex.firstNames.has(t.lower) || lex.lastNames.has(t.lower)) return true;
    if (prev && lex.firstNames.has(prev.lower) && t.gap === " " && kindOf(t.lower, lex) === "unknown") return true;
    return prev !== undefined && CUE_ENDINGS.has(prev.lower) && NAMING_CUE.test(text.slice(Math.max(0, t.start - 24), t.start));
  });
}

/** Runs of name-capable tokens, with particles allowed between them. */
function runs(text: string, tokens: readonly Token[], lex: Lexicon): Token[][] {
  const capable = capability(text, tokens, lex);
  const out: Token[][] = [];
  let run: Token[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as Token;
    const prev = run[run.length - 1];
    const continues = prev !== undefined && !prev.possessive && joins(prev, t);
    const next = tokens[i + 1];
    const particle = continues && PARTICLES.has(t.text) && next !== undefined && capable[i + 1] === true && joins(t, next);
    if ((capable[i] || particle) && (continues || run.length === 0)) {
      run.push(t);
      continue;
    }
    if (run.length > 0) out.push(run);
    run = capable[i] ? [t] : [];
  }
  if (run.length > 0) out.push(run);
  return out;
}

/** A scored candidate before the list pass. */
interface Candidate {
  start: number;
  end: number;
  score: number;
}

/** Scores a run from its words alone. */
function wordScore(words: readonly Token[], sentenceStart: boolean, lex: Lexicon): number {
  const kinds = words.map((t) => kindOf(t.lower, lex));
  if (words.length >= 2) {
    if (kinds[0] === "first" && !AMBIGUOUS.has(words[0]?.lower ?? "")) return 0.9;
    if (kinds.some((k) => k === "common" || k === "place")) return kinds.some(isNameKind) ? 0.4 : 0.2;
    if (kinds.some(isNameKind)) return 0.8;
    const shaped = words.some(nameShaped) ? 0.1 : 0;
    return (kinds.includes("frequent") ? 0.45 : 0.6) + shaped;
  }
  const [t] = words as [Token];
  switch (kinds[0]) {
    case "first":
      return AMBIGUOUS.has(t.lower) ? (sentenceStart ? 0.2 : 0.45) : 0.75;
    case "last":
    case "person":
      return sentenceStart ? 0.45 : 0.6;
    case "unknown":
      if (nameShaped(t)) return sentenceStart ? 0.4 : 0.55;
      return sentenceStart ? 0.25 : 0.45;
    case "frequent":
      return sentenceStart ? 0.15 : 0.3;
    default:
      return 0;
  }
}

/** Looks like a non-English personal name: diacritics or a typical surname ending. */
function nameShaped(t: Token): boolean {
  return NON_ASCII_LETTER.test(t.text) || (t.text.length > 4 && SURNAME_ENDINGS.test(t.lower));
}

/** What the surrounding words add to (or take from) a candidate's score. */
function contextScore(text: string, first: Token, last: Token): number {
  const before = text.slice(Math.max(0, first.start - 40), first.start);
  const after = text.slice(last.end, last.end + 40);
  let bonus = STRONG_CUE.test(before) ? 0.3 : PERSON_LEFT.test(before) ? 0.15 : 0;
  if (last.possessive || PERSON_RIGHT.test(after)) bonus += 0.25;
  if (PLACE_PREFIX.test(before)) bonus -= 0.4;
  else if (PLACE_LEFT.test(before)) bonus -= 0.2;
  else if (ORG_LEFT.test(before)) bonus -= 0.15;
  if (ORG_RIGHT.test(after) || STREET_NUMBER_RIGHT.test(after)) bonus -= 0.3;
  return bonus;
}

/** True for "Speaker: text" at the start of a line. */
function speakerLine(text: string, first: Token, firstIndex: number, last: Token): boolean {
  if (!(firstIndex === 0 || first.gap.includes("\n") || /^[\s>]*$/.test(first.gap))) return false;
  return /^\s?:/.test(text.slice(last.end, last.end + 2)) && !LABELS.has(first.lower);
}

/** Leading honorifics and lead-in words ("Hi", sentence-initial "The") are not part of the name. */
function trimRun(run: readonly Token[], tokens: readonly Token[], index: ReadonlyMap<Token, number>, lex: Lexicon): { kept: Token[]; honorific: boolean } {
  let i = 0;
  let honorific = false;
  while (i < run.length - 1) {
    const t = run[i] as Token;
    if (HONORIFICS.has(t.lower)) honorific = true;
    else if (honorific || !(LEADERS.has(t.lower) || (opensSentence(tokens, index.get(t) ?? 0) && kindOf(t.lower, lex) === "common"))) break;
    i++;
  }
  return { kept: run.slice(i), honorific };
}

/** Scores one run of capitalised words; undefined when it cannot be a name. */
function scoreRun(text: string, tokens: readonly Token[], index: ReadonlyMap<Token, number>, run: readonly Token[], lex: Lexicon): Candidate | undefined {
  // A long run of capitalised words is a title or a heading, not a name.
  if (run.length > MAX_RUN) return undefined;
  // An organisation or place word anywhere in the run ("Aunt Bertha Inc", "Loveland Technologies").
  if (run.some((t) => lex.orgWords.has(t.lower) || lex.placeWords.has(t.lower))) return undefined;
  if (run.length > 1 && lex.places.has(run.map((t) => t.lower).join(" "))) return undefined;
  const { kept, honorific } = trimRun(run, tokens, index, lex);
  const first = kept[0];
  const last = kept[kept.length - 1];
  if (!first || !last) return undefined;
  const words = kept.filter((t) => !t.initial && !PARTICLES.has(t.text) && !SUFFIXES.has(t.lower));
  if (words.length === 0) return undefined;
  if (lex.persons.has(words.map((t) => t.lower).join(" "))) return { start: first.start, end: last.end, score: 0.9 };
  const firstIndex = index.get(first) ?? 0;
  const sentenceStart = opensSentence(tokens, firstIndex) && !honorific;
  const before = text.slice(Math.max(0, first.start - 40), first.start);
  let score = wordScore(words, sentenceStart, lex);
  if (NAMING_CUE.test(before)) score = Math.max(score, 0.3) + 0.45;
  else if (speakerLine(text, first, firstIndex, last) && words.every((t) => kindOf(t.lower, lex) !== "common" && kindOf(t.lower, lex) !== "frequent")) score += 0.35;
  else score += contextScore(text, first, last);
  if (honorific) score = Math.max(score, 0.85);
  return score > 0 ? { start: first.start, end: last.end, score } : undefined;
}

/** Names in a list ("Eklund, Michael and Hodge") lend each other weight. */
function listPass(text: string, candidates: Candidate[]): void {
  for (let pass = 0; pass < 2; pass++) {
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[i] as Candidate;
      if (c.score >= THRESHOLD || c.score < 0.2) continue;
      const prev = candidates[i - 1];
      const next = candidates[i + 1];
      const joinedPrev = prev !== undefined && prev.score >= 0.55 && LIST_JOIN.test(text.slice(prev.end, c.start));
      const joinedNext = next !== undefined && next.score >= 0.55 && LIST_JOIN.test(text.slice(c.end, next.start));
      if (joinedPrev || joinedNext) c.score += 0.3;
    }
  }
}

/** Finds person names. */
export function findNames(text: string): PiiMatch[] {
  if (!/\p{L}/u.test(text)) return [];
  const lex = lexicon();
  const tokens = tokenize(text);
  const index = new Map(tokens.map((t, i) => [t, i]));
  const candidates: Candidate[] = [];
  for (const run of runs(text, tokens, lex)) {
    const c = scoreRun(text, tokens, index, run, lex);
    if (c) candidates.push(c);
  }
  listPass(text, candidates);
  return candidates.filter((c) => c.score >= THRESHOLD).map((c) => makeMatch("NAME", text, c.start, c.end, Math.min(c.score, 0.95)));
}

/** The NAME rule. */
export const nameRule: PiiRule = { type: "NAME", find: findNames };
