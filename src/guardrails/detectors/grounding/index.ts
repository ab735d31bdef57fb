// Contextual grounding, offline: lexical support plus the built-in static sentence encoder.
export { builtinGroundingScorer, DEFAULT_GROUNDING_WEIGHTS, type GroundingScorerOptions, type GroundingWeights } from "./builtin-grounding-scorer.ts";
