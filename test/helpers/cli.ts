// Runs the real `basalt` binary as a child process, as a user would, with an environment free of
// BASALT_* and AWS_* variables from the test runner; children left running are killed at exit.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { after } from "node:test";

/** The `basalt` bin. */
export const BIN = join(import.meta.dirname, "..", "..", "bin", "basalt.js");

/** What one run printed, and how it ended. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();
// A server a test left running would keep the test file alive (its pipes stay open) until the
// runner's timeout: every child still running when the file's tests end is killed.
after(() => children.forEach((child) => child.exitCode === null && child.kill("SIGKILL")));

/** The runner's environment without BASALT_* and AWS_* variables, plain output, and `extra`. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) if (!/^(BASALT_|AWS_)/.test(key)) env[key] = value;
  return { ...env, NO_COLOR: "1", ...extra };
}

/** Starts `basalt …` with piped output (the caller reads it). */
export function spawnBasalt(args: string[], env: Record<string, string> = {}): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], { env: cliEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  child.on("exit", () => children.delete(child));
  return child;
}

/** Starts `basalt serve` on a free port and resolves with its URL once it listens. */
export async function serveBasalt(dataDir: string, config: string): Promise<{ url: string; child: ChildProcess }> {
  const child = spawnBasalt(["serve", "--port", "0", "--data-dir", dataDir, "--config", config]);
  let text = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${text}`)), 60_000);
    const onData = (d: Buffer) => {
      text += d;
      const match = /serving \d+ models? at (http:\/\/\S+)/.exec(text);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]!);
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => reject(new Error(`server exited ${code}: ${text}`)));
  });
  return { url, child };
}

/** Runs `basalt …` to completion (killed after `timeoutMs`). */
export function runBasalt(args: string[], options: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<CliRun> {
  const child = spawnBasalt(args, options.env);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d));
  child.stderr!.on("data", (d: Buffer) => (stderr += d));
  const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 120_000);
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
