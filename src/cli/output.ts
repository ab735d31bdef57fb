// Small helpers for what the CLI prints: colours (only on a terminal, honouring NO_COLOR),
// human-readable sizes and durations, paths with `~`, and aligned tables.
import { homedir } from "node:os";

/** A failure the user can act on: printed as `error: message` plus a hint, then exit with `exitCode`. */
export class CliError extends Error {
  readonly hint?: string;
  readonly exitCode: number;

  constructor(message: string, options: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CliError";
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }
}

function colourOn(stream: NodeJS.WriteStream): boolean {
  return Boolean(stream.isTTY) && !process.env.NO_COLOR && process.env.TERM !== "dumb";
}

function paint(code: string, stream: NodeJS.WriteStream) {
  return (text: string) => (colourOn(stream) ? `\u001b[${code}m${text}\u001b[0m` : text);
}

/** ANSI styles for stdout; each is the identity when stdout is not a colour terminal. */
export const out = {
  bold: paint("1", process.stdout),
  dim: paint("2", process.stdout),
  green: paint("32", process.stdout),
  cyan: paint("36", process.stdout),
  yellow: paint("33", process.stdout),
  red: paint("31", process.stdout),
};

/** ANSI styles for stderr. */
export const err = {
  bold: paint("1", process.stderr),
  dim: paint("2", process.stderr),
  red: paint("31", process.stderr),
  yellow: paint("33", process.stderr),
};

/** Prints an error (and its hint) to stderr the same way for every command. */
export function printError(error: CliError | Error): void {
  process.stderr.write(`${err.red(err.bold("error:"))} ${error.message}\n`);
  if (error instanceof CliError && error.hint) process.stderr.write(`${err.dim("hint:")} ${error.hint}\n`);
}

/** `1185376` → `1.2 MB` (decimal units, as download sites show them). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "?";
  if (bytes < 1000) return `${bytes} B`;
  const units = ["kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = -1;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

/** Seconds → `1h 02m`, `3m 07s`, `12s`; `?` when unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  if (seconds < 10) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** Shortens a path under the home directory to `~/…` for display. */
export function tildify(path: string): string {
  const home = homedir();
  return home && (path === home || path.startsWith(`${home}/`)) ? `~${path.slice(home.length)}` : path;
}

// ANSI sequences take no columns, so widths are measured without them.
const visibleLength = (text: string) => text.replace(/\u001b\[[0-9;]*m/g, "").length;

/** Renders rows as a left-aligned table with a bold header; cells may already carry colour. */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => visibleLength(r[i] ?? ""))));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell + " ".repeat((widths[i] ?? 0) - visibleLength(cell))))
      .join("  ")
      .trimEnd();
  return [out.bold(line(header)), ...rows.map(line)].join("\n") + "\n";
}
