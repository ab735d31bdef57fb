// The built-in sentence encoders: a static table distilled from the Universal Sentence Encoder
// lite, and the full model for the few sentences that need it.
export { type AsyncSentenceEncoder, FullEncoder, fullEncoder } from "./full-encoder.ts";
export { cosine, StaticEncoder, staticEncoder } from "./static-encoder.ts";
export { splitSentences, textWindows, type TextSpan } from "./sentences.ts";
