// Rows, splits and file readers shared by the corpus loaders. Every row gets a fixed split
// from a hash of its split key, so training, calibration and the benchmark agree on who saw what.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { parse } from "csv-parse/sync";
import type { Labels } from "../heads.ts";

export type { Labels };

/** Which rows a consumer may use: fit = training and calibration folds, test = benchmark only. */
export type Split = "fit" | "test";

/** One labelled text. */
export interface CorpusRow {
  text: string;
  /** Data set short name, as in the shared INDEX.md. */
  set: string;
  labels: Labels;
  split: Split;
  /** 0–4 within the fit split: the cross-validation fold used for calibration. */
  fold: number;
  /** May weights be trained on it (licence)? False rows are evaluation only. */
  trainable: boolean;
  /** Free-form tag for reporting, e.g. the original label ("safe", "jailbreak", "S"). */
  tag: string;
}

/** Percent of every set held out for the benchmark. */
export const TEST_PERCENT = 30;
/** Cross-validation folds within the fit split. */
export const FOLDS = 5;

/** A deterministic bucket in [0, 100) from a key (sha256, first 4 bytes). */
export function bucketOf(key: string): number {
  return createHash("sha256").update(key).digest().readUInt32BE(0) % 100;
}

/** Split and fold of a key: buckets ≥ 70 are the test split; the rest spread over the folds. */
export function assign(key: string): { split: Split; fold: number } {
  const bucket = bucketOf(key);
  return { split: bucket >= 100 - TEST_PERCENT ? "test" : "fit", fold: bucket % FOLDS };
}

/** Options of a row builder. */
export interface RowSpec {
  text: string;
  set: string;
  labels: Labels;
  /** What decides the split; defaults to the text, so duplicates across sets stay together. */
  key?: string;
  trainable?: boolean;
  tag?: string;
}

/** Builds a row with its split from the key. */
export function row(spec: RowSpec): CorpusRow {
  const { split, fold } = assign(spec.key ?? spec.text.trim().toLowerCase());
  return { text: spec.text, set: spec.set, labels: spec.labels, split, fold, trainable: spec.trainable ?? true, tag: spec.tag ?? "" };
}

/** All harm categories set to 0: a benign row. */
export const BENIGN: Labels = { HATE: 0, INSULTS: 0, SEXUAL: 0, VIOLENCE: 0, MISCONDUCT: 0, PROMPT_ATTACK: 0 };

/** Reads a file of the shared data folder (gunzipping .gz). */
export function readData(dataDir: URL, path: string): string {
  const bytes = readFileSync(new URL(path, dataDir));
  return (path.endsWith(".gz") ? gunzipSync(bytes) : bytes).toString("utf8");
}

/** Reads a CSV file with a header line. */
export function readCsv(dataDir: URL, path: string): Record<string, string>[] {
  return parse(readData(dataDir, path), { columns: true, skip_empty_lines: true, relax_quotes: true }) as Record<string, string>[];
}

/** Reads a JSON-lines file. */
export function readJsonLines(dataDir: URL, path: string): Record<string, unknown>[] {
  return readData(dataDir, path).split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, unknown>);
}
