// What a guardrail checks in a Converse request: with guardContent blocks, only those (with their
// qualifiers: grounding_source and query feed contextual grounding); without, every text block of
// the user's turns. Masks are written back into a copy of the body, which is then parsed again.
import type { GuardrailContent } from "../../guardrails/engine/apply.ts";
import type { ContentQualifier } from "../../guardrails/guardrail.ts";
import { isObject, type Obj } from "../../util/validate.ts";

/** Where one checked text sits in the body. */
type Slot = { holder: Obj; key: string };

/** The guardrail input of a (validated) Converse body. */
export interface ConverseGuardInput {
  content: GuardrailContent[];
  /** The grounding source and query blocks, for the output check's contextual grounding. */
  groundingContext: GuardrailContent[];
  /** The body with each checked text replaced by `texts[i]` (same order as `content`). */
  withTexts(texts: readonly string[]): Obj;
}

function guardBlock(block: Obj): { text: Obj; qualifiers: ContentQualifier[] } | undefined {
  const guard = block.guardContent;
  if (!isObject(guard) || !isObject(guard.text)) return undefined;
  const qualifiers = Array.isArray(guard.text.qualifiers) ? (guard.text.qualifiers as ContentQualifier[]) : ["guard_content" as const];
  return { text: guard.text, qualifiers };
}

/** Collects the guardrail input of a Converse body. */
export function converseGuardInput(body: Obj): ConverseGuardInput {
  const blocks: Array<{ slot: Slot; path: (string | number)[]; qualifiers?: ContentQualifier[] }> = [];
  const plain: typeof blocks = [];
  const visit = (list: unknown, path: (string | number)[], user: boolean) => {
    if (!Array.isArray(list)) return;
    list.forEach((raw, j) => {
      if (!isObject(raw)) return;
      const guard = guardBlock(raw);
      if (guard) blocks.push({ slot: { holder: guard.text, key: "text" }, path: [...path, j, "guardContent", "text", "text"], qualifiers: guard.qualifiers });
      else if (user && typeof raw.text === "string") plain.push({ slot: { holder: raw, key: "text" }, path: [...path, j, "text"] });
    });
  };
  visit(body.system, ["system"], false);
  (Array.isArray(body.messages) ? body.messages : []).forEach((m, i) => {
    if (isObject(m)) visit(m.content, ["messages", i, "content"], m.role === "user");
  });
  const chosen = blocks.length > 0 ? blocks : plain;
  const content = chosen.map((b) => ({ text: b.slot.holder[b.slot.key] as string, ...(b.qualifiers ? { qualifiers: b.qualifiers } : {}) }));
  return {
    content,
    groundingContext: content.filter((c) => c.qualifiers?.some((q) => q === "grounding_source" || q === "query")),
    withTexts(texts) {
      const copy = structuredClone(body);
      chosen.forEach((b, i) => {
        let holder: unknown = copy;
        for (const key of b.path.slice(0, -1)) holder = (holder as Record<string | number, unknown>)[key];
        (holder as Obj)[b.path.at(-1) as string] = texts[i];
      });
      return copy;
    },
  };
}
