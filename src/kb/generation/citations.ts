// Citations that map spans of the answer to the passages they come from. The model is asked to
// cite like `[1]` (prompt-template.ts); the tracker reads its output as it streams, removes the
// markers, and turns each into a citation of the text since the previous one (within the same
// line), with exact offsets into the text it hands out. Text the model left uncited is
// attributed afterwards, sentence by sentence, to the passages that lexically support it
// (lexical-support.ts), so small models that never cite still get correct citations for
// extractive answers. The same tracker serves RetrieveAndGenerate and its stream.
import { contentWords, supportingPassages } from "./lexical-support.ts";

/** One citation: `[start, end)` of the answer text and the passages (0-based) it cites. */
export interface SpanCitation {
  start: number;
  end: number;
  sources: number[];
  /** `marker`: the model cited; `overlap`: attributed by lexical support. */
  by: "marker" | "overlap";
}

/** Text to append to the answer, and citations whose spans are now final. */
export interface TrackerOutput {
  text: string;
  citations: SpanCitation[];
}

// `[1]`, `[1, 3]`, `[2-4]`, `[1][2]` (twice), `[Source 2]`, `[doc: 3]`.
const MARKER = /\[(?:(?:sources?|results?|docs?|documents?|refs?)\s*:?\s*)?(\d{1,3}(?:\s*(?:,|;|-|–|and)\s*\d{1,3})*)\]/iy;
/** What a marker looks like before its closing bracket has arrived. */
const PARTIAL_MARKER = /^\[(?:[a-z]{0,9}\s*:?\s*)?[\d\s,;\-–and]*$/i;
/** Longest text held back waiting to see whether it is a marker. */
const MAX_MARKER_LENGTH = 40;
/** Characters that close a cited sentence after its marker (`… capital [1].`). */
const CLOSING = /[.,;:!?)\]"'”’»…]/;
const MAX_RANGE = 20;

const sentences = new Intl.Segmenter("en", { granularity: "sentence" });

function trailingSpaceStart(text: string): number {
  let at = text.length;
  while (at > 0 && /\s/.test(text[at - 1]!)) at--;
  return at;
}

/** The 0-based passages a marker's numbers name, or undefined when any is out of range. */
function markerSources(numbers: string, count: number): number[] | undefined {
  const out: number[] = [];
  for (const part of numbers.split(/\s*(?:,|;|and)\s*/)) {
    const range = /^(\d+)\s*[-–]\s*(\d+)$/.exec(part);
    const [from, to] = range ? [Number(range[1]), Number(range[2])] : [Number(part), Number(part)];
    if (!(from >= 1 && to <= count && from <= to && to - from < MAX_RANGE)) return undefined;
    for (let n = from; n <= to; n++) if (!out.includes(n - 1)) out.push(n - 1);
  }
  return out;
}

interface Pending {
  start: number;
  /** Grows over closing punctuation after the marker. */
  end: number;
  sources: number[];
}

/** Strips citation markers from a streamed answer and produces span citations. */
export class CitationTracker {
  readonly #count: number;
  readonly #passageWords: Set<string>[];
  /** Input not yet turned into text (trailing space, a marker that may still be completing). */
  #raw = "";
  #text = "";
  /** Where the next marker citation may start: the end of the previous one. */
  #boundary = 0;
  #pending: Pending | undefined;
  #ready: SpanCitation[] = [];
  readonly #cited: Array<[number, number]> = [];
  #ended = false;

  /** `passages` are the numbered search results, in prompt order. */
  constructor(passages: ReadonlyArray<{ text: string }>) {
    this.#count = passages.length;
    this.#passageWords = passages.map((p) => contentWords(p.text));
  }

  /** The answer text handed out so far. */
  get text(): string {
    return this.#text;
  }

  /** Feeds a piece of the model's output. */
  push(delta: string): TrackerOutput {
    if (this.#ended) throw new Error("CitationTracker: push after end");
    this.#raw += delta;
    const text = this.#drain(false);
    return { text, citations: this.#take() };
  }

  /** Ends the answer: flushes held text, closes the last citation, attributes uncited sentences. */
  end(): TrackerOutput {
    if (this.#ended) return { text: "", citations: [] };
    const text = this.#drain(true);
    this.#ended = true;
    this.#settle();
    this.#attributeUncited();
    return { text, citations: this.#take() };
  }

  #take(): SpanCitation[] {
    const ready = this.#ready;
    this.#ready = [];
    return ready;
  }

  #drain(final: boolean): string {
    let out = "";
    for (;;) {
      const raw = this.#raw;
      const at = raw.indexOf("[");
      if (at === -1) {
        // Trailing space is held back: a marker may follow it, and then it goes.
        const cut = trailingSpaceStart(raw);
        out += this.#emit(raw.slice(0, cut));
        this.#raw = final ? "" : raw.slice(cut);
        return out;
      }
      MARKER.lastIndex = at;
      const match = MARKER.exec(raw);
      const sources = match ? markerSources(match[1]!, this.#count) : undefined;
      if (match && sources) {
        out += this.#emit(raw.slice(0, trailingSpaceStart(raw.slice(0, at))));
        this.#raw = raw.slice(at + match[0].length);
        this.#marker(sources);
        continue;
      }
      if (!match && !final && raw.length - at <= MAX_MARKER_LENGTH && PARTIAL_MARKER.test(raw.slice(at))) {
        const cut = trailingSpaceStart(raw.slice(0, at));
        out += this.#emit(raw.slice(0, cut));
        this.#raw = raw.slice(cut);
        return out;
      }
      // Not a marker (or one naming no search result): ordinary text.
      out += this.#emit(raw.slice(0, at + 1));
      this.#raw = raw.slice(at + 1);
    }
  }

  #emit(piece: string): string {
    const text = this.#text.length === 0 ? piece.trimStart() : piece;
    if (!text) return "";
    this.#text += text;
    const pending = this.#pending;
    if (pending) {
      while (pending.end < this.#text.length && CLOSING.test(this.#text[pending.end]!)) pending.end++;
      if (pending.end < this.#text.length) this.#settle();
    }
    return text;
  }

  #marker(sources: number[]): void {
    const at = this.#text.length;
    const pending = this.#pending;
    // `[1][2]`, `[1] [2]`, `… [1]. [2]`: more sources for the same span.
    if (pending && this.#text.slice(pending.end, at).trim() === "") {
      for (const s of sources) if (!pending.sources.includes(s)) pending.sources.push(s);
      return;
    }
    this.#settle();
    const lineStart = this.#text.lastIndexOf("\n", at - 1) + 1;
    let start = Math.max(this.#boundary, lineStart);
    while (start < at && /\s/.test(this.#text[start]!)) start++;
    if (start >= at) return; // a marker with no text before it cites nothing
    this.#pending = { start, end: at, sources: [...sources] };
  }

  #settle(): void {
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = undefined;
    const end = pending.start + trailingSpaceStart(this.#text.slice(pending.start, pending.end));
    this.#ready.push({ start: pending.start, end, sources: pending.sources, by: "marker" });
    this.#cited.push([pending.start, end]);
    this.#boundary = pending.end;
  }

  /** Cites each uncited sentence whose content words a passage holds. */
  #attributeUncited(): void {
    const text = this.#text;
    const cited = [...this.#cited].sort((a, b) => a[0] - b[0]);
    const gaps: Array<[number, number]> = [];
    let from = 0;
    for (const [start, end] of cited) {
      if (start > from) gaps.push([from, start]);
      from = Math.max(from, end);
    }
    if (from < text.length) gaps.push([from, text.length]);
    const found: SpanCitation[] = [];
    for (const [gapStart, gapEnd] of gaps) {
      for (const { segment, index } of sentences.segment(text.slice(gapStart, gapEnd))) {
        const lead = segment.length - segment.trimStart().length;
        const trimmed = segment.trim();
        if (!trimmed) continue;
        const sources = supportingPassages(trimmed, this.#passageWords);
        if (sources.length === 0) continue;
        const start = gapStart + index + lead;
        found.push({ start, end: start + trimmed.length, sources, by: "overlap" });
      }
    }
    this.#ready.push(...found);
  }
}

/** Cites a whole answer at once (non-streaming); citations ordered by position. */
export function citeAnswer(answer: string, passages: ReadonlyArray<{ text: string }>): { text: string; citations: SpanCitation[] } {
  const tracker = new CitationTracker(passages);
  const first = tracker.push(answer);
  const last = tracker.end();
  return { text: first.text + last.text, citations: [...first.citations, ...last.citations].sort((a, b) => a.start - b.start) };
}
