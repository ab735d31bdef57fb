// Progress for long byte transfers: a cli-progress bar (bytes, speed, ETA) on a terminal,
// and plain periodic lines otherwise, so logs and CI output stay readable.
import cliProgress from "cli-progress";
import { formatBytes, formatDuration } from "./output.ts";

/** A running progress display. */
export interface ByteProgress {
  /** Sets the number of bytes done so far (including any resumed part). */
  update(bytes: number): void;
  /** Removes the bar (or prints nothing more); call once. */
  stop(): void;
}

/** Options of {@link createByteProgress}. */
export interface ByteProgressOptions {
  label: string;
  /** Total bytes, when the server said. */
  total?: number;
  /** Bytes already there when the transfer began (a resumed download). */
  start: number;
  stream?: NodeJS.WriteStream;
  /** Period of the plain lines when the stream is not a terminal. */
  intervalMs?: number;
}

// Speed over a sliding window, so a resumed download's existing bytes do not count as
// instant transfer and a stall shows up within seconds.
class Speedometer {
  private samples: Array<{ at: number; bytes: number }>;
  constructor(start: number) {
    this.samples = [{ at: Date.now(), bytes: start }];
  }
  add(bytes: number): void {
    const now = Date.now();
    this.samples.push({ at: now, bytes });
    while (this.samples.length > 2 && now - this.samples[0]!.at > 5000) this.samples.shift();
  }
  perSecond(): number {
    const first = this.samples[0]!;
    const last = this.samples[this.samples.length - 1]!;
    const seconds = (last.at - first.at) / 1000;
    return seconds > 0 ? (last.bytes - first.bytes) / seconds : 0;
  }
}

function describe(bytes: number, total: number | undefined, speed: number) {
  const remaining = total && speed > 0 ? formatDuration((total - bytes) / speed) : "?";
  return { done: formatBytes(bytes), size: total ? formatBytes(total) : "?", speed: speed > 0 ? `${formatBytes(speed)}/s` : "…", remaining };
}

/** Starts a progress display for a transfer of `total` bytes. */
export function createByteProgress(options: ByteProgressOptions): ByteProgress {
  const stream = options.stream ?? process.stdout;
  const speedometer = new Speedometer(options.start);
  const { total } = options;

  if (stream.isTTY && total) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${options.label} {bar} {percentage}% | {done} / {size} | {speed} | ETA {remaining}`,
        barCompleteChar: "█",
        barIncompleteChar: "░",
        hideCursor: true,
        clearOnComplete: true,
        fps: 8,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, options.start, describe(options.start, total, 0));
    return {
      update(bytes) {
        speedometer.add(bytes);
        bar.update(bytes, describe(bytes, total, speedometer.perSecond()));
      },
      stop: () => bar.stop(),
    };
  }

  const interval = options.intervalMs ?? 2000;
  let lastLine = Date.now();
  return {
    update(bytes) {
      speedometer.add(bytes);
      if (Date.now() - lastLine < interval) return;
      lastLine = Date.now();
      const d = describe(bytes, total, speedometer.perSecond());
      const percent = total ? `${Math.floor((bytes / total) * 100)}% ` : "";
      stream.write(`  ${options.label}: ${percent}${d.done} / ${d.size}, ${d.speed}, ETA ${d.remaining}\n`);
    },
    stop() {},
  };
}

/** A running display of items done out of a total that may grow (documents of an ingestion). */
export interface CountProgress {
  update(done: number, total: number, detail: string): void;
  stop(): void;
}

/** Starts a progress display for counted work: a bar on a terminal, periodic lines otherwise. */
export function createCountProgress(options: { label: string; stream?: NodeJS.WriteStream; intervalMs?: number }): CountProgress {
  const stream = options.stream ?? process.stdout;
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${options.label} {bar} {value}/{total} | {detail} | ETA {eta_formatted}`,
        barCompleteChar: "█",
        barIncompleteChar: "░",
        hideCursor: true,
        clearOnComplete: true,
        fps: 8,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(0, 0, { detail: "starting" });
    return {
      update(done, total, detail) {
        bar.setTotal(Math.max(total, done));
        bar.update(done, { detail });
      },
      stop: () => bar.stop(),
    };
  }
  const interval = options.intervalMs ?? 2000;
  let lastLine = 0;
  return {
    update(done, total, detail) {
      if (Date.now() - lastLine < interval) return;
      lastLine = Date.now();
      stream.write(`  ${options.label}: ${done}/${total || "?"} documents, ${detail}\n`);
    },
    stop() {},
  };
}
