// The built-in ContentClassifier: the linear content model, loaded once on first use.
import { BasaltError } from "../../../spec/errors.ts";
import type { ContentFilterType } from "../../guardrail.ts";
import type { ContentClassifier } from "../../policy.ts";
import { staticEncoder } from "../encoder/static-encoder.ts";
import { staticEncoderFingerprint } from "./dense.ts";
import { LinearContentModel, readContentModel } from "./model.ts";

const MODEL_HEADER = new URL("./weights/content-linear.json", import.meta.url);

/** A ContentClassifier over a loaded linear content model. */
export class LinearContentClassifier implements ContentClassifier {
  readonly id: string;

  constructor(readonly model: LinearContentModel) {
    this.id = `basalt-content-linear-v${model.header.version}`;
  }

  /** Scores on the shared confidence scale: 0.25 / 0.5 / 0.75 begin LOW / MEDIUM / HIGH. */
  async classify(text: string, signal?: AbortSignal): Promise<Record<ContentFilterType, number>> {
    signal?.throwIfAborted();
    return this.model.scores(text, signal);
  }
}

/** Loads the shipped weights (synchronous: some tens of milliseconds). */
export function loadBuiltinContentModel(): LinearContentModel {
  try {
    const { header, weights } = readContentModel(MODEL_HEADER);
    if (header.dense && header.dense.encoderSha256 !== staticEncoderFingerprint()) {
      throw new BasaltError(
        "MODEL_NOT_READY",
        "The built-in content classifier was trained with a different sentence encoder; retrain it with scripts/train-content-classifier.ts.",
      );
    }
    return new LinearContentModel(header, weights, header.dense ? staticEncoder() : undefined);
  } catch (error) {
    if (error instanceof BasaltError) throw error;
    throw new BasaltError("MODEL_NOT_READY", "The built-in content classifier could not be loaded.", { cause: error });
  }
}

let shared: LinearContentClassifier | undefined;

/** The built-in offline content classifier, loaded on first use and shared afterwards. */
export function builtinContentClassifier(): ContentClassifier {
  shared ??= new LinearContentClassifier(loadBuiltinContentModel());
  return shared;
}
