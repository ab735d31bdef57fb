// Worker threads whose entry is a TypeScript module. The repository runs without a build step:
// bin/basalt.js registers tsx's loader on the main thread only, so a worker registers it again
// before importing its entry; a compiled build would load the `.js` entry directly.
import { Worker, type WorkerOptions } from "node:worker_threads";

// Evaluated as CommonJS in the new thread: register tsx's loader, then import the entry.
const BOOTSTRAP = `
const { workerData } = require("node:worker_threads");
(async () => {
  if (workerData.tsx) (await import(workerData.tsx)).register();
  await import(workerData.entry);
})().catch((error) => { setImmediate(() => { throw error; }); });
`;

/**
 * Starts a worker on `entry` ("./name.ts", resolved against `from`, the caller's
 * import.meta.url; "./name.js" once compiled).
 */
export function startTsWorker(entry: string, from: string, options: Pick<WorkerOptions, "resourceLimits"> = {}): Worker {
  const typescript = from.endsWith(".ts");
  const url = new URL(typescript ? entry : entry.replace(/\.ts$/, ".js"), from).href;
  return new Worker(BOOTSTRAP, {
    ...options,
    eval: true,
    execArgv: [],
    workerData: { entry: url, tsx: typescript ? import.meta.resolve("tsx/esm/api") : undefined },
  });
}
