import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { DeferredWork } from "./deferred-work.ts";

function task(log: string[], name: string, fail = false) {
  return {
    run() {
      if (fail) throw new Error(`${name} failed`);
      log.push(name);
    },
  };
}

describe("DeferredWork", () => {
  it("runs nothing at once, then the whole batch in order after the delay", async () => {
    const log: string[] = [];
    const work = new DeferredWork({ delayMs: 10, onError: assert.fail });
    work.defer(task(log, "a"));
    work.defer(task(log, "b"));
    assert.deepEqual(log, []);
    assert.equal(work.pending, 2);
    await sleep(40);
    assert.deepEqual(log, ["a", "b"]);
    assert.equal(work.pending, 0);
  });

  it("runs a full batch at once, and drain() runs what waits", () => {
    const log: string[] = [];
    const work = new DeferredWork({ delayMs: 60_000, maxQueued: 3, onError: assert.fail });
    for (const name of ["a", "b", "c"]) work.defer(task(log, name));
    assert.deepEqual(log, ["a", "b", "c"]);
    work.defer(task(log, "d"));
    work.drain();
    assert.deepEqual(log, ["a", "b", "c", "d"]);
    work.drain(); // nothing waits: no-op, and no timer is left behind to hold the process
  });

  it("reports a failing task and still runs the rest of its batch", () => {
    const log: string[] = [];
    const errors: unknown[] = [];
    const work = new DeferredWork({ onError: (error) => errors.push(error) });
    work.defer(task(log, "a"));
    work.defer(task(log, "b", true));
    work.defer(task(log, "c"));
    work.drain();
    assert.deepEqual(log, ["a", "c"]);
    assert.equal((errors[0] as Error).message, "b failed");
  });
});
