// The built-in content detector: Bedrock's six content categories scored offline.
export { builtinContentClassifier, LinearContentClassifier, loadBuiltinContentModel } from "./classifier.ts";
export { CONFIDENCE_CUTS, rescore, scoreToConfidence, type ConfidenceThresholds } from "./confidence.ts";
export { normalizeText } from "./normalize.ts";
