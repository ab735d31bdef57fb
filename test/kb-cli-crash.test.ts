// Knowledge bases from the command line and through a crash, with real `basalt` processes:
// `basalt kb create --folder … --sync` (progress lines, statistics), `kb query` (retrieval and
// an answer with sources), `kb sync`; then kill -9 of the server in the middle of an ingestion,
// a restart that finishes the job, and a check that every document has exactly its chunks.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openDatabase } from "../src/store/db/open-database.ts";
import { assertExactChunks } from "./helpers/kb-index.ts";
import { runBasalt, serveBasalt } from "./helpers/cli.ts";

const temps: string[] = [];
after(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "basalt-kbcli-"));
  temps.push(dir);
  return dir;
}

const run = (args: string[]) => runBasalt(args);


const FACTS = ["The Ptarmigan tunnel is 2.4 kilometres long.", "Saffron harvest begins in late October.", "The Kittiwake ferry carries 300 passengers."];

describe("basalt kb", () => {
  it("creates a knowledge base over a folder and syncs it with progress, queries it, and syncs only changes", async () => {
    const dataDir = tempDir();
    const folder = tempDir();
    FACTS.forEach((fact, i) => writeFileSync(join(folder, `fact-${i}.txt`), `${fact}\n\nFiller sentence number ${i} about nothing in particular.`));
    const config = join(dataDir, "basalt.json");
    writeFileSync(config, JSON.stringify({ logging: { level: "warn" }, models: [{ provider: "mock", id: "mock.echo" }] }));
    const { url } = await serveBasalt(dataDir, config);
    const endpoint = ["--endpoint", url];

    const created = await run(["kb", "create", "--name", "facts", "--folder", folder, "--sync", "--data-dir", dataDir, ...endpoint]);
    assert.equal(created.code, 0, created.stderr);
    const kbId = /knowledge base (\w{10}) with data source/.exec(created.stdout)?.[1];
    assert.ok(kbId, created.stdout);
    assert.match(created.stdout, /COMPLETE/);
    assert.match(created.stdout, /new\s+3/);
    assert.match(created.stdout, /failed\s+0/);

    const query = await run(["kb", "query", kbId, "How long is the Ptarmigan tunnel?", "-k", "1", ...endpoint]);
    assert.equal(query.code, 0, query.stderr);
    assert.match(query.stdout, /Ptarmigan tunnel is 2\.4 kilometres long/);
    assert.match(query.stdout, /fact-0\.txt/);

    const answer = await run(["kb", "query", kbId, "When does saffron harvest begin?", "--model", "mock.echo", ...endpoint]);
    assert.equal(answer.code, 0, answer.stderr);
    assert.match(answer.stdout, /sources:/);

    writeFileSync(join(folder, "fact-3.txt"), "The Osprey lighthouse was lit in 1874.");
    const synced = await run(["kb", "sync", kbId, ...endpoint]);
    assert.equal(synced.code, 0, synced.stderr);
    assert.match(synced.stdout, /scanned\s+4/);
    assert.match(synced.stdout, /new\s+1/);
    assert.match(synced.stdout, /modified\s+0/);
  });

  it("finishes an ingestion interrupted by kill -9 after a restart, with no duplicate and no missing chunks", async () => {
    const dataDir = tempDir();
    const bucket = join(dataDir, "buckets", "many");
    mkdirSync(bucket, { recursive: true });
    const count = 120;
    for (let i = 0; i < count; i++) {
      const paragraphs = Array.from({ length: 12 }, (_, p) => `Document ${i} paragraph ${p} records that station ${i * 100 + p} measured ${(i * 7 + p) % 50} millimetres of rain.`);
      writeFileSync(join(bucket, `doc-${String(i).padStart(3, "0")}.txt`), paragraphs.join("\n\n"));
    }
    const config = join(dataDir, "basalt.json");
    writeFileSync(config, JSON.stringify({ logging: { level: "warn" }, jobs: { leaseSeconds: 2 } }));
    let server = await serveBasalt(dataDir, config);
    const api = (url: string) => ["--endpoint", url];
    // Create with the CLI, but start the sync over HTTP so this test controls when to crash.
    const created = await run(["kb", "create", "--name", "many", "--bucket", "many", ...api(server.url)]);
    assert.equal(created.code, 0, created.stderr);
    const kbId = /knowledge base (\w{10}) with data source (\w{10})/.exec(created.stdout)!;
    const [knowledgeBaseId, dataSourceId] = [kbId[1]!, kbId[2]!];
    const jobsPath = `/knowledgebases/${knowledgeBaseId}/datasources/${dataSourceId}/ingestionjobs/`;
    const started = (await (await fetch(server.url + jobsPath, { method: "PUT", body: "{}", headers: { "content-type": "application/json" } })).json()) as { ingestionJob: { ingestionJobId: string } };
    const jobId = started.ingestionJob.ingestionJobId;
    const job = async (url: string) => ((await (await fetch(url + jobsPath + jobId)).json()) as { ingestionJob: { status: string; statistics: Record<string, number> } }).ingestionJob;

    // Crash once a fair part, but not all, of the documents are done.
    for (;;) {
      const current = await job(server.url);
      const done = current.statistics.numberOfNewDocumentsIndexed ?? 0;
      if (done >= 10) break;
      assert.notEqual(current.status, "COMPLETE", "the sync finished before the crash; make the corpus bigger");
      await new Promise((r) => setTimeout(r, 50));
    }
    server.child.kill("SIGKILL");
    await new Promise((r) => server.child.once("exit", r));

    server = await serveBasalt(dataDir, config);
    const deadline = Date.now() + 120_000;
    let final = await job(server.url);
    while (!["COMPLETE", "FAILED", "STOPPED"].includes(final.status)) {
      assert.ok(Date.now() < deadline, `job still ${final.status}`);
      await new Promise((r) => setTimeout(r, 200));
      final = await job(server.url);
    }
    assert.equal(final.status, "COMPLETE");
    assert.equal((final.statistics.numberOfNewDocumentsIndexed ?? 0) + (final.statistics.numberOfDocumentsFailed ?? 0), count);
    assert.equal(final.statistics.numberOfDocumentsFailed, 0);

    // A second sync finds nothing to do.
    const again = await run(["kb", "sync", knowledgeBaseId, ...api(server.url)]);
    assert.match(again.stdout, /new\s+0/);
    assert.match(again.stdout, /modified\s+0/);
    server.child.kill("SIGTERM");
    await new Promise((r) => server.child.once("exit", r));

    // Every document's chunks are exactly #0..#n-1 as its record says, and nothing else is stored.
    const db = openDatabase({ dataDir });
    const records = await db.query<{ document_id: string; chunk_count: number; status: string }>(
      "SELECT document_id, chunk_count, status FROM kb_documents WHERE knowledge_base_id = $1",
      [knowledgeBaseId],
    );
    await db.close();
    assert.equal(records.length, count);
    await assertExactChunks({ dataDir, knowledgeBaseId, dimensions: 512, records });
  });
});
