// The built-in sentence encoder: a static table distilled from the Universal Sentence Encoder lite.
export { cosine, StaticEncoder, staticEncoder } from "./static-encoder.ts";
export { splitSentences, textWindows, type TextSpan } from "./sentences.ts";
