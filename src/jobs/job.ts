// The durable job model shared by the queue, its store and every handler.

/** Every state a job can be in; COMPLETE, FAILED and STOPPED are final. */
export const JOB_STATES = ["QUEUED", "IN_PROGRESS", "COMPLETE", "FAILED", "STOPPING", "STOPPED"] as const;

/** A job's persisted state. */
export type JobState = (typeof JOB_STATES)[number];

/** States a job never leaves. */
export const FINAL_STATES: ReadonlySet<JobState> = new Set(["COMPLETE", "FAILED", "STOPPED"]);

/** What a handler reports while it runs; kept across attempts so a retry can resume. */
export interface JobProgress {
  completed?: number;
  total?: number;
  /** Named counters, e.g. documents scanned, indexed, failed. */
  counters?: Record<string, number>;
  message?: string;
}

/** A persisted job. */
export interface Job<P = unknown, R = unknown> {
  id: string;
  type: string;
  accountId: string;
  clientToken?: string;
  state: JobState;
  payload: P;
  result?: R;
  progress: JobProgress;
  /** Why the job failed; while QUEUED again, why the last attempt failed. */
  failureReason?: string;
  /** Attempts started so far, the running one included. */
  attempts: number;
  maxAttempts: number;
  /** Not claimed before this time (backoff after a failed attempt). */
  runAfter: Date;
  /** The worker holding the job while IN_PROGRESS or STOPPING. */
  lockedBy?: string;
  leaseExpiresAt?: Date;
  createdAt: Date;
  updatedAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
}

/** What a handler is given for one attempt. */
export interface JobContext<P = unknown> {
  job: Job<P>;
  payload: P;
  /** Aborted when the job is stopped, the worker shuts down, or its lease was lost; `reason` is a {@link JobInterrupted}. */
  signal: AbortSignal;
  /** Persists progress; resolves once stored. */
  progress(update: JobProgress): Promise<void>;
}

/** Runs one attempt of a job type and returns its result (stored as JSON). */
export type JobHandler<P = unknown, R = unknown> = (context: JobContext<P>) => Promise<R>;

/** Why a running attempt was interrupted (the AbortSignal's reason). */
export class JobInterrupted extends Error {
  constructor(
    readonly why: "stopped" | "shutdown" | "lease-lost",
    message: string,
  ) {
    super(message);
    this.name = "AbortError";
  }
}
