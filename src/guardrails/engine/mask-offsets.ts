// Where spans of a text land once a guardrail's masks are applied (applyMasks): each placeholder
// (`{EMAIL}`, …) is longer or shorter than what it replaced, so offsets after it shift. Callers
// that point into a text (RetrieveAndGenerate's citation spans) map their spans through here. A
// span that starts or ends inside a masked value takes in the whole placeholder, so it still
// covers what it covered, now masked.
import type { TextMask } from "../policy.ts";

/** A `[start, end)` range of character offsets. */
export interface Span {
  start: number;
  end: number;
}

/** The masks applyMasks applies, in text order: overlapping ones after the first are dropped, as there. */
export function appliedMasks(masks: readonly TextMask[]): TextMask[] {
  const sorted = [...masks].sort((a, b) => a.start - b.start || b.end - a.end);
  const out: TextMask[] = [];
  let at = 0;
  for (const mask of sorted) {
    if (mask.start < at) continue;
    out.push(mask);
    at = mask.end;
  }
  return out;
}

/** Maps spans of the original text onto the text with `masks` applied. */
export class MaskedOffsets {
  readonly #masks: TextMask[];

  constructor(masks: readonly TextMask[]) {
    this.#masks = appliedMasks(masks);
  }

  /** The span's place in the masked text. */
  span(span: Span): Span {
    return { start: this.#map(span.start, "start"), end: Math.max(this.#map(span.start, "start"), this.#map(span.end, "end")) };
  }

  /**
   * One offset. A start inside a masked value moves to its placeholder's start, an end inside
   * one to its placeholder's end; offsets outside masks shift by the length change before them.
   */
  #map(offset: number, side: "start" | "end"): number {
    let shift = 0;
    for (const mask of this.#masks) {
      const inside = side === "start" ? offset >= mask.start && offset < mask.end : offset > mask.start && offset <= mask.end;
      if (inside) return mask.start + shift + (side === "start" ? 0 : mask.replacement.length);
      if (side === "start" ? offset < mask.start : offset <= mask.start) return offset + shift;
      shift += mask.replacement.length - (mask.end - mask.start);
    }
    return offset + shift;
  }
}
