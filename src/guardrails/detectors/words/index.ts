// Word detectors: a guardrail's custom words and phrases, and the managed profanity list.
export { createCustomWordMatcher, type CustomWordMatcher, type WordMatch } from "./custom-words.ts";
export { findProfanity, type ProfanityMatch } from "./profanity.ts";
export { normalizeText, normalizeWord, type NormalizedText } from "./normalize.ts";
