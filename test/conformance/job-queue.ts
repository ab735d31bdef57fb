// One conformance suite for the durable job queue (STYLE.md §8, §11), run on every engine:
// idempotent creation, progress, retry with backoff, cancellation, several workers, shutdown,
// and recovery after a worker process is killed with SIGKILL mid-job.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { join } from "node:path";
import { after, afterEach, before, it } from "node:test";
import type { Job } from "../../src/jobs/job.ts";
import { JobQueue, type JobQueueOptions } from "../../src/jobs/job-queue.ts";
import { BasaltError } from "../../src/spec/errors.ts";
import type { Database } from "../../src/store/db/database.ts";
import { migrate } from "../../src/store/db/migrate.ts";
import { openDatabase } from "../../src/store/db/open-database.ts";
import type { EngineTarget } from "./engines.ts";

const FIXTURE = join(import.meta.dirname, "..", "fixtures", "job-worker.ts");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString("hex")}`;

/** Polls `fn` until it returns a value that `done` accepts, or fails after `timeoutMs`. */
export async function waitFor<T>(fn: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting; last value: ${JSON.stringify(value)}`);
    await sleep(15);
  }
}

/** Waits until a job reaches a final state. */
export function waitForFinal(queue: JobQueue, job: Pick<Job, "accountId" | "id">, timeoutMs?: number): Promise<Job> {
  return waitFor(() => queue.get(job.accountId, job.id), (j) => j !== undefined && JobQueue.isFinal(j), timeoutMs) as Promise<Job>;
}

/** Registers the job-queue cases in the current describe block. */
export function jobQueueConformance(target: EngineTarget): void {
  let db: Database;
  let other: Database; // a second node's connections (see database.ts for SQLite's case)
  const queues: JobQueue[] = [];
  const queue = (options: Partial<JobQueueOptions> = {}) => {
    const q = new JobQueue({ db, pollIntervalMs: 20, leaseMs: 2000, retryBaseMs: 80, onError: (e) => assert.fail(String(e)), ...options });
    queues.push(q);
    return q;
  };

  before(async () => {
    db = openDatabase({ url: target.url(), poolSize: 6 });
    other = target.dialect === "postgres" ? openDatabase({ url: target.url(), poolSize: 6 }) : db;
    await migrate(db);
  });
  const children: ChildProcess[] = [];
  afterEach(async () => {
    await Promise.all(queues.splice(0).map((q) => q.close({ graceMs: 0 })));
    for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  after(async () => {
    if (other !== db) await other.close();
    await db.close();
  });

  /** Starts test/fixtures/job-worker.ts in its own process; resolves once it runs a job. */
  const spawnWorker = (type: string, leaseMs: number) => {
    const child = spawn(process.execPath, ["--import", "tsx", FIXTURE], {
      env: { ...process.env, DATABASE_URL: target.url(), JOB_TYPE: type, LEASE_MS: String(leaseMs) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    let stdout = "";
    let stderr = "";
    child.stderr!.on("data", (chunk: Buffer) => void (stderr += chunk));
    const started = new Promise<{ id: string; workerId: string }>((resolve, reject) => {
      child.stdout!.on("data", (chunk: Buffer) => {
        stdout += chunk;
        const match = /^started (\S+) (\S+)$/m.exec(stdout);
        if (match) resolve({ id: match[1]!, workerId: match[2]! });
      });
      child.on("exit", (code) => reject(new Error(`worker exited (${code}) before starting a job: ${stderr}`)));
    });
    return { child, started };
  };

  const killWorkerMidJob = async (options: { type: string; maxAttempts: number }) => {
    const api = queue();
    const { job } = await api.create({ type: options.type, accountId: "1", payload: { docs: 3 }, maxAttempts: options.maxAttempts });
    const worker = spawnWorker(options.type, 1000);
    const started = await worker.started;
    assert.equal(started.id, job.id);
    const running = (await api.get("1", job.id))!;
    assert.deepEqual([running.state, running.lockedBy, running.attempts], ["IN_PROGRESS", started.workerId, 1]);
    worker.child.kill("SIGKILL");
    const [, signal] = await once(worker.child, "exit");
    assert.equal(signal, "SIGKILL");
    const orphaned = (await api.get("1", job.id))!;
    assert.equal(orphaned.state, "IN_PROGRESS", "nothing ended the killed worker's job: only its lease can");
    return job;
  };

  it("conformance: the same client token returns the same job, per account and type", async () => {
    const q = queue();
    const type = unique("ingest");
    const first = await q.create({ type, accountId: "111111111111", clientToken: "tok-1", payload: { source: "s3://a", n: 1 } });
    assert.equal(first.created, true);
    assert.equal(first.job.state, "QUEUED");
    assert.match(first.job.id, /^[0-9A-Z]{10}$/);
    const again = await q.create({ type, accountId: "111111111111", clientToken: "tok-1", payload: { n: 1, source: "s3://a" } });
    assert.deepEqual({ id: again.job.id, created: again.created }, { id: first.job.id, created: false });
    await assert.rejects(
      q.create({ type, accountId: "111111111111", clientToken: "tok-1", payload: { source: "s3://b", n: 1 } }),
      (error: unknown) => error instanceof BasaltError && error.code === "CONFLICT",
    );
    const otherAccount = await q.create({ type, accountId: "222222222222", clientToken: "tok-1", payload: { source: "s3://a", n: 1 } });
    assert.notEqual(otherAccount.job.id, first.job.id);
    const noToken = await Promise.all([1, 2].map(() => q.create({ type, accountId: "111111111111", payload: {} })));
    assert.notEqual(noToken[0]!.job.id, noToken[1]!.job.id);
    // Concurrent creates with one token, from two nodes, still make one job.
    const racing = await Promise.all([db, other, db, other].map((d) => new JobQueue({ db: d }).create({ type, accountId: "3", clientToken: "race", payload: 1 })));
    assert.equal(new Set(racing.map((r) => r.job.id)).size, 1);
    assert.equal(racing.filter((r) => r.created).length, 1);
    // Isolation: another account's job is simply not found.
    assert.equal(await q.get("222222222222", first.job.id), undefined);
    assert.deepEqual((await q.list("111111111111", { type })).map((j) => j.id).sort(), [first.job.id, ...noToken.map((r) => r.job.id)].sort());
  });

  it("conformance: a worker runs a job to COMPLETE with its result and progress", async () => {
    const q = queue();
    const type = unique("complete");
    q.register<{ words: string[] }, { count: number }>(type, async ({ payload, progress, job }) => {
      assert.equal(job.attempts, 1);
      await progress({ completed: 1, total: 2, counters: { scanned: 5 }, message: "halfway" });
      return { count: payload.words.length };
    });
    const { job } = await q.create({ type, accountId: "1", payload: { words: ["a", "b", "c"] } });
    q.start();
    const done = await waitForFinal(q, job);
    assert.equal(done.state, "COMPLETE");
    assert.deepEqual(done.result, { count: 3 });
    assert.deepEqual(done.progress, { completed: 1, total: 2, counters: { scanned: 5 }, message: "halfway" });
    assert.equal(done.attempts, 1);
    assert.equal(done.lockedBy, undefined);
    assert.ok(done.startedAt && done.finishedAt && done.finishedAt >= done.startedAt);
  });

  it("conformance: a failing attempt is retried with exponential backoff, then completes", async () => {
    const q = queue({ retryBaseMs: 100 });
    const type = unique("flaky");
    const starts: number[] = [];
    q.register(type, async () => {
      starts.push(Date.now());
      if (starts.length < 3) throw new Error(`transient failure ${starts.length}`);
      return "ok";
    });
    const { job } = await q.create({ type, accountId: "1", payload: null, maxAttempts: 3 });
    q.start();
    const done = await waitForFinal(q, job);
    assert.equal(done.state, "COMPLETE");
    assert.equal(done.attempts, 3);
    assert.equal(done.failureReason, undefined);
    const [a, b, c] = starts as [number, number, number];
    assert.ok(b - a >= 100, `first retry waited ${b - a} ms, at least 100`);
    assert.ok(c - b >= 200, `second retry waited ${c - b} ms, at least 200 (doubled)`);
    assert.equal(q.retryDelayMs(1), 100);
    assert.equal(q.retryDelayMs(20), 300_000, "capped");
  });

  it("conformance: a job that keeps failing is FAILED with its last reason after max attempts", async () => {
    const q = queue({ retryBaseMs: 10 });
    const type = unique("broken");
    let calls = 0;
    q.register(type, async () => {
      calls++;
      throw new Error(`disk on fire (${calls})`);
    });
    const { job } = await q.create({ type, accountId: "1", payload: null, maxAttempts: 2 });
    // While queued for a retry the job shows why its last attempt failed.
    q.start();
    const done = await waitForFinal(q, job);
    assert.deepEqual([done.state, done.attempts, done.failureReason, calls], ["FAILED", 2, "disk on fire (2)", 2]);
    assert.ok(done.finishedAt);
    // A client error fails at once: retrying an invalid payload cannot help.
    const invalid = unique("invalid");
    let invalidCalls = 0;
    q.register(invalid, async () => {
      invalidCalls++;
      throw new BasaltError("VALIDATION", "payload.bucket is required");
    });
    const second = await q.create({ type: invalid, accountId: "1", payload: {}, maxAttempts: 5 });
    const failed = await waitForFinal(q, second.job);
    assert.deepEqual([failed.state, failed.attempts, failed.failureReason, invalidCalls], ["FAILED", 1, "payload.bucket is required", 1]);
  });

  it("conformance: stopping a queued job stops it without running it; final jobs are unchanged", async () => {
    const q = queue();
    const type = unique("never");
    let ran = false;
    const { job } = await q.create({ type, accountId: "1", payload: null });
    assert.equal((await q.stopJob("1", job.id))?.state, "STOPPED");
    assert.equal(await q.stopJob("2", job.id), undefined, "another account cannot stop it");
    q.register(type, async () => void (ran = true));
    q.start();
    await sleep(100);
    assert.equal(ran, false);
    const stopped = (await q.get("1", job.id))!;
    assert.equal(stopped.state, "STOPPED");
    assert.ok(stopped.finishedAt);
  });

  it("conformance: stopping a running job aborts its handler's signal and ends STOPPED", async () => {
    const q = queue();
    const type = unique("long");
    let sawAbort: unknown;
    let started!: () => void;
    const startedNow = new Promise<void>((resolve) => (started = resolve));
    q.register(type, ({ signal }) => {
      started();
      return new Promise((_resolve, reject) =>
        signal.addEventListener("abort", () => {
          sawAbort = signal.reason;
          reject(signal.reason);
        }),
      );
    });
    const { job } = await q.create({ type, accountId: "1", payload: null });
    q.start();
    await startedNow;
    const stopping = await q.stopJob("1", job.id);
    assert.ok(stopping?.state === "STOPPING" || stopping?.state === "STOPPED");
    const done = await waitForFinal(q, job);
    assert.equal(done.state, "STOPPED");
    assert.equal((sawAbort as { why?: string }).why, "stopped");
  });

  it("conformance: a stop requested on another node reaches the running handler by heartbeat", async () => {
    const worker = queue({ leaseMs: 300 });
    const api = new JobQueue({ db: other }); // no handlers, never started: an API node
    const type = unique("remote-stop");
    let started!: () => void;
    const startedNow = new Promise<void>((resolve) => (started = resolve));
    worker.register(type, ({ signal }) => {
      started();
      return new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
    });
    const { job } = await api.create({ type, accountId: "1", payload: null });
    worker.start();
    await startedNow;
    assert.equal((await api.stopJob("1", job.id))?.state, "STOPPING");
    assert.equal((await waitForFinal(api, job)).state, "STOPPED");
  });

  it("conformance: a stopped handler that ignores its signal cannot hold the job in STOPPING", async () => {
    const q = queue({ stopGraceMs: 50 });
    const type = unique("stubborn");
    let started!: () => void;
    const startedNow = new Promise<void>((resolve) => (started = resolve));
    q.register(type, async () => {
      started();
      await sleep(400);
      return "finished regardless";
    });
    const { job } = await q.create({ type, accountId: "1", payload: null });
    q.start();
    await startedNow;
    await q.stopJob("1", job.id);
    const done = await waitForFinal(q, job);
    assert.deepEqual([done.state, done.result], ["STOPPED", undefined]);
  });

  it("conformance: a worker that lost its lease is interrupted and cannot overwrite the job", async () => {
    const q = queue({ leaseMs: 150 });
    const type = unique("fenced");
    let reason: unknown;
    let started!: () => void;
    const startedNow = new Promise<void>((resolve) => (started = resolve));
    q.register(type, ({ signal }) => {
      started();
      return new Promise((resolve) => signal.addEventListener("abort", () => resolve((reason = signal.reason))));
    });
    const { job } = await q.create({ type, accountId: "1", payload: null });
    q.start();
    await startedNow;
    // As if the lease had run out and another worker had claimed the job meanwhile; that worker
    // holds a fresh lease, so recovery must not hand the job back to the queue under a slow run.
    await db.execute("UPDATE jobs SET locked_by = $1, lease_expires_at = $2 WHERE id = $3", ["another-worker", Date.now() + 60_000, job.id]);
    await waitFor(async () => reason, (r) => r !== undefined);
    assert.equal((reason as { why?: string }).why, "lease-lost");
    await sleep(50);
    const after = (await q.get("1", job.id))!;
    assert.deepEqual([after.state, after.lockedBy, after.result], ["IN_PROGRESS", "another-worker", undefined]);
    await db.execute("UPDATE jobs SET state = 'STOPPED', locked_by = NULL WHERE id = $1", [job.id]);
  });

  it("conformance: two workers on one database never run the same job twice", async () => {
    const type = unique("shared");
    const runs = new Map<string, string[]>();
    const workers = [queue({ db, concurrency: 3 }), queue({ db: other, concurrency: 3 })];
    for (const worker of workers) {
      worker.register(type, async ({ job }) => {
        runs.set(job.id, [...(runs.get(job.id) ?? []), worker.workerId]);
        await sleep(5 + Math.floor(Math.random() * 10));
        return worker.workerId;
      });
    }
    const created = await Promise.all(Array.from({ length: 30 }, (_, i) => workers[0]!.create({ type, accountId: "1", payload: i })));
    workers.forEach((w) => w.start());
    const done = await Promise.all(created.map(({ job }) => waitForFinal(workers[0]!, job)));
    assert.ok(done.every((j) => j.state === "COMPLETE" && j.attempts === 1));
    assert.equal(runs.size, 30);
    for (const [id, by] of runs) assert.equal(by.length, 1, `job ${id} ran ${by.length} times: ${by.join(", ")}`);
    for (const job of done) assert.equal(job.result, runs.get(job.id)![0], "the result comes from the worker that ran it");
  });

  it("conformance: shutdown hands a running job back without spending an attempt", async () => {
    const type = unique("handover");
    const first = queue();
    let started!: () => void;
    const startedNow = new Promise<void>((resolve) => (started = resolve));
    first.register(type, ({ signal }) => {
      started();
      return new Promise((_resolve, reject) => signal.addEventListener("abort", () => reject(signal.reason)));
    });
    const { job } = await first.create({ type, accountId: "1", payload: null, maxAttempts: 1 });
    first.start();
    await startedNow;
    await first.close({ graceMs: 0 });
    const handedBack = (await first.get("1", job.id))!;
    assert.deepEqual([handedBack.state, handedBack.attempts, handedBack.lockedBy], ["QUEUED", 0, undefined]);
    const second = queue({ db: other });
    second.register(type, async () => "finished elsewhere");
    second.start();
    const done = await waitForFinal(second, job);
    assert.deepEqual([done.state, done.result, done.attempts], ["COMPLETE", "finished elsewhere", 1]);
  });

  it("conformance: a job whose worker was killed (kill -9) is picked up after its lease and completes", async () => {
    const type = unique("crash-retry");
    const job = await killWorkerMidJob({ type, maxAttempts: 3 });
    const rescuer = queue({ leaseMs: 1000 });
    let resumedFrom: unknown;
    rescuer.register(type, async ({ job: claimed }) => {
      resumedFrom = claimed.progress; // what the killed attempt had stored: where to resume
      return { indexed: 3 };
    });
    rescuer.start();
    const done = await waitForFinal(rescuer, job);
    assert.deepEqual([done.state, done.attempts, done.result, done.lockedBy], ["COMPLETE", 2, { indexed: 3 }, undefined]);
    assert.deepEqual(resumedFrom, { completed: 1, total: 3, message: "first third done" });
  });

  it("conformance: a job whose worker was killed on its last attempt is FAILED with the reason", async () => {
    const type = unique("crash-fail");
    const job = await killWorkerMidJob({ type, maxAttempts: 1 });
    const rescuer = queue();
    let ran = false;
    rescuer.register(type, async () => void (ran = true));
    rescuer.start();
    const done = await waitForFinal(rescuer, job);
    assert.equal(done.state, "FAILED");
    assert.match(done.failureReason ?? "", /attempt 1 of 1 stopped responding \(its lease expired/);
    assert.equal(done.lockedBy, undefined);
    assert.equal(ran, false, "no attempts were left to run");
  });
}
