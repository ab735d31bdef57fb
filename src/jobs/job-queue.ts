// The durable job queue: jobs are rows in the metadata database, claimed by workers with leases.
// A worker heartbeats while a handler runs; when a worker dies its lease runs out and any worker
// recovers the job (retry, or FAILED with the reason once attempts are spent).
// docs/decisions/0007-metadata-store.md explains the lease design.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { EnvelopeEncryption } from "../store/crypto/envelope-encryption.ts";
import type { Database } from "../store/db/database.ts";
import { BasaltError } from "../spec/errors.ts";
import { FINAL_STATES, JobInterrupted, type Job, type JobHandler, type JobProgress } from "./job.ts";
import { JobStore, type Fence } from "./job-store.ts";

/** Options of a {@link JobQueue}. */
export interface JobQueueOptions {
  db: Database;
  /**
   * Seals payloads, results, progress and failure reasons per account (job content is customer
   * content). Required wherever jobs hold customer data, i.e. in the server's wiring; only tests
   * of the queue's mechanics leave it out. Every node sharing a database must pass it.
   */
  encryption?: EnvelopeEncryption;
  /** Names this worker in `locked_by`; defaults to host, pid and a random suffix. */
  workerId?: string;
  /** Jobs this worker runs at once (default 2). */
  concurrency?: number;
  /** How often an idle worker looks for due jobs (default 1000 ms). */
  pollIntervalMs?: number;
  /** How long a claim lasts without a heartbeat (default 30 s); heartbeats come every third of it. */
  leaseMs?: number;
  /** Attempts of a job whose type and creator name none (default 3). */
  maxAttempts?: number;
  /** Delay before the first retry, doubled for each later one (default 1000 ms)… */
  retryBaseMs?: number;
  /** …up to this (default 5 minutes). */
  retryMaxMs?: number;
  /** How long a stopped handler may take to honour its signal before the job is marked STOPPED anyway (default 30 s). */
  stopGraceMs?: number;
  /** Told about failures of the worker loop itself (database unreachable, …); the loop carries on. */
  onError?: (error: unknown) => void;
}

/** Options of {@link JobQueue.register}. */
export interface RegisterOptions {
  /** Attempts of this type's jobs unless their creator says otherwise. */
  maxAttempts?: number;
  /** Replace the handler already registered for the type (a test standing in for the real one). */
  replace?: boolean;
}

/** Options of {@link JobQueue.create}. */
export interface CreateJobOptions<P> {
  type: string;
  accountId: string;
  payload: P;
  /** Idempotency: the same token for the same account and type returns the existing job. */
  clientToken?: string;
  maxAttempts?: number;
}

interface Running {
  job: Job;
  fence: Fence;
  controller: AbortController;
  /** Set once the outcome is written (or given up), so late handler results are ignored. */
  settled: boolean;
  done: Promise<void>;
}

// Unref'd: a grace period that is raced must not keep the process alive once the race is won.
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** Canonical JSON (sorted keys) for comparing the payloads of two creates with one client token. */
function canonical(value: unknown): string {
  return JSON.stringify(value ?? null, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v,
  );
}

/** Durable jobs on the metadata database, with a worker loop for the registered types. */
export class JobQueue {
  readonly workerId: string;
  readonly #store: JobStore;
  readonly #handlers = new Map<string, { handler: JobHandler; options: RegisterOptions }>();
  readonly #running = new Map<string, Running>();
  readonly #options: Required<Omit<JobQueueOptions, "db" | "workerId" | "encryption">>;
  #loop?: Promise<void>;
  #closing = false;
  #wake?: () => void;
  #nudged = false;

  constructor(options: JobQueueOptions) {
    this.#store = new JobStore({ db: options.db, encryption: options.encryption });
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}:${randomBytes(4).toString("hex")}`;
    this.#options = {
      concurrency: options.concurrency ?? 2,
      pollIntervalMs: options.pollIntervalMs ?? 1000,
      leaseMs: options.leaseMs ?? 30_000,
      maxAttempts: options.maxAttempts ?? 3,
      retryBaseMs: options.retryBaseMs ?? 1000,
      retryMaxMs: options.retryMaxMs ?? 300_000,
      stopGraceMs: options.stopGraceMs ?? 30_000,
      onError: options.onError ?? ((error) => console.error("job queue:", error)),
    };
  }

  /** Registers the handler of a job type; only registered types are claimed by this worker. */
  register<P, R>(type: string, handler: JobHandler<P, R>, options: RegisterOptions = {}): void {
    if (this.#handlers.has(type) && !options.replace) throw new Error(`A handler for job type ${type} is already registered.`);
    this.#handlers.set(type, { handler: handler as JobHandler, options });
    this.#nudge();
  }

  /** Creates a job, or returns the one already created with the same client token (`created: false`). */
  async create<P>(options: CreateJobOptions<P>): Promise<{ job: Job<P>; created: boolean }> {
    const maxAttempts = options.maxAttempts ?? this.#handlers.get(options.type)?.options.maxAttempts ?? this.#options.maxAttempts;
    const out = await this.#store.insert({ ...options, maxAttempts }, Date.now());
    if (!out.created && canonical(out.job.payload) !== canonical(options.payload)) {
      throw new BasaltError("CONFLICT", "The client token was already used for a job with different parameters.");
    }
    if (out.created) this.#nudge();
    return out as { job: Job<P>; created: boolean };
  }

  /** A job of `accountId`, or undefined when it does not exist there. */
  get(accountId: string, id: string): Promise<Job | undefined> {
    return this.#store.find(accountId, id);
  }

  /** An account's jobs, newest first. */
  list(accountId: string, options: { type?: string; limit?: number } = {}): Promise<Job[]> {
    return this.#store.list({ accountId, type: options.type, limit: options.limit ?? 100 });
  }

  /**
   * Stops a job: a queued one becomes STOPPED, a running one STOPPING until its handler honours
   * the AbortSignal (at once on this node, by the next heartbeat on another); a handler that
   * returns anyway completes the job. Final jobs are unchanged.
   */
  async stopJob(accountId: string, id: string): Promise<Job | undefined> {
    await this.#store.requestStop(accountId, id, Date.now());
    const running = this.#running.get(id);
    if (running && running.job.accountId === accountId) this.#interrupt(running, "stopped");
    return this.get(accountId, id);
  }

  /** Starts the worker loop (idempotent). */
  start(): void {
    if (this.#loop || this.#closing) return;
    this.#loop = this.#run();
  }

  /**
   * Stops claiming, gives running handlers `graceMs` to finish, then interrupts them and hands
   * their jobs back (the interrupted attempt is not counted). Does not close the database.
   */
  async close(options: { graceMs?: number } = {}): Promise<void> {
    this.#closing = true;
    this.#nudge();
    await this.#loop;
    const all = () => Promise.all([...this.#running.values()].map((r) => r.done));
    await Promise.race([all(), sleep(options.graceMs ?? 10_000)]);
    for (const running of this.#running.values()) this.#interrupt(running, "shutdown");
    await Promise.race([all(), sleep(1000)]);
    // Handlers that ignore their signal are abandoned; the fence keeps their late writes out.
    for (const running of [...this.#running.values()]) await this.#settle(running, () => this.#store.release(running.fence, Date.now()));
  }

  async #run(): Promise<void> {
    while (!this.#closing) {
      try {
        await this.#poll();
      } catch (error) {
        this.#options.onError(error);
      }
      if (this.#closing) break;
      if (this.#nudged) {
        this.#nudged = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.#options.pollIntervalMs);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
      this.#nudged = false;
    }
  }

  /** Polls again now: a job was created here, a slot freed, or the queue is closing. */
  #nudge(): void {
    // Remembered when the loop is mid-poll, so the news is not lost until the next interval.
    this.#nudged = true;
    this.#wake?.();
  }

  async #poll(): Promise<void> {
    const now = Date.now();
    await this.#store.recoverExpired(now);
    const free = this.#options.concurrency - this.#running.size;
    const jobs = await this.#store.claim({
      workerId: this.workerId,
      types: [...this.#handlers.keys()],
      limit: free,
      leaseMs: this.#options.leaseMs,
      now,
    });
    for (const job of jobs) this.#start(job);
  }

  #start(job: Job): void {
    const running: Running = {
      job,
      fence: { id: job.id, accountId: job.accountId, workerId: this.workerId, attempt: job.attempts },
      controller: new AbortController(),
      settled: false,
      done: Promise.resolve(),
    };
    this.#running.set(job.id, running);
    // Started a microtask later so that `done` is set before the handler can be interrupted.
    running.done = Promise.resolve()
      .then(() => this.#attempt(running))
      .finally(() => {
        this.#running.delete(job.id);
        this.#nudge();
      });
  }

  async #attempt(running: Running): Promise<void> {
    const { job, fence, controller } = running;
    const { handler } = this.#handlers.get(job.type)!;
    const heartbeat = setInterval(() => void this.#heartbeat(running), Math.max(10, Math.floor(this.#options.leaseMs / 3)));
    try {
      const progress = async (update: JobProgress) => {
        if (running.settled) return;
        if (!(await this.#store.saveProgress(fence, update, Date.now()))) this.#interrupt(running, "lease-lost");
      };
      let outcome: { ok: true; result: unknown } | { ok: false; error: unknown };
      try {
        outcome = { ok: true, result: await handler({ job, payload: job.payload, signal: controller.signal, progress }) };
      } catch (error) {
        outcome = { ok: false, error };
      }
      await this.#finish(running, outcome);
    } catch (error) {
      // Writing the outcome failed (database gone): the lease will run out and recovery retries.
      this.#options.onError(error);
    } finally {
      clearInterval(heartbeat);
    }
  }

  async #finish(running: Running, outcome: { ok: true; result: unknown } | { ok: false; error: unknown }): Promise<void> {
    const { fence, job, controller } = running;
    const now = Date.now();
    if (outcome.ok) return void (await this.#settle(running, () => this.#store.complete(fence, outcome.result, now)));
    const why = controller.signal.aborted ? (controller.signal.reason as JobInterrupted).why : undefined;
    if (why === "lease-lost") return void (running.settled = true);
    if (why === "shutdown") return void (await this.#settle(running, () => this.#store.release(fence, now)));
    if (why === "stopped") return void (await this.#settle(running, () => this.#store.markStopped(fence, now)));
    const error = outcome.error;
    const reason = error instanceof Error ? error.message : String(error);
    // A client error (invalid payload, access denied) fails the same way every time: no retry.
    const permanent = error instanceof BasaltError && !error.kind.retryable;
    const retryAt = permanent || job.attempts >= job.maxAttempts ? undefined : now + this.retryDelayMs(job.attempts);
    await this.#settle(running, () => this.#store.failAttempt(fence, { reason, retryAt, now }));
  }

  /** Delay before retrying after failed attempt `attempt` (1-based): exponential, capped. */
  retryDelayMs(attempt: number): number {
    return Math.min(this.#options.retryMaxMs, this.#options.retryBaseMs * 2 ** (attempt - 1));
  }

  async #settle(running: Running, write: () => Promise<boolean>): Promise<void> {
    if (running.settled) return;
    running.settled = true;
    await write();
  }

  async #heartbeat(running: Running): Promise<void> {
    if (running.settled) return;
    try {
      const now = Date.now();
      const state = await this.#store.heartbeat(running.fence, now + this.#options.leaseMs, now);
      if (state === undefined) this.#interrupt(running, "lease-lost");
      else if (state === "STOPPING") this.#interrupt(running, "stopped");
    } catch (error) {
      this.#options.onError(error);
    }
  }

  #interrupt(running: Running, why: JobInterrupted["why"]): void {
    if (running.controller.signal.aborted || running.settled) return;
    const messages = {
      stopped: "The job was stopped.",
      shutdown: "The worker is shutting down; the job will run again.",
      "lease-lost": "This worker lost the job's lease; another worker may run it.",
    };
    running.controller.abort(new JobInterrupted(why, messages[why]));
    if (why === "stopped") {
      // A handler that ignores its signal must not hold the job in STOPPING for ever.
      const timer = setTimeout(() => void this.#settle(running, () => this.#store.markStopped(running.fence, Date.now())).catch(this.#options.onError), this.#options.stopGraceMs);
      void running.done.finally(() => clearTimeout(timer));
    }
  }

  /** Whether a job is in a final state. */
  static isFinal(job: Pick<Job, "state">): boolean {
    return FINAL_STATES.has(job.state);
  }
}
