// The knowledge-base store and ingestion jobs on both engines: account isolation, names and client
// tokens, keyset pages, the document records the pipeline keeps, and ingestion jobs as real jobs
// of the durable queue (a small handler reports Bedrock's counters).
import assert from "node:assert/strict";
import { after, afterEach, before, it } from "node:test";
import { describeEachEngine } from "../../../test/conformance/engines.ts";
import { JobQueue } from "../../jobs/job-queue.ts";
import type { JobContext } from "../../jobs/job.ts";
import { BasaltError } from "../../spec/errors.ts";
import type { Database } from "../../store/db/database.ts";
import { migrate } from "../../store/db/migrate.ts";
import { openDatabase } from "../../store/db/open-database.ts";
import { INGESTION_JOB_TYPE, IngestionJobs, type IngestionJob, type IngestionJobPayload } from "./ingestion-jobs.ts";
import { KnowledgeBaseService } from "./knowledge-base-service.ts";
import { KnowledgeBaseStore, type NewKnowledgeBaseInput } from "./knowledge-base-store.ts";
import type { DataSourceRef, DocumentRecord, ValidatedDocument } from "./records.ts";

const A = "111111111111";
const B = "222222222222";
const TOKEN = "a".repeat(40);
const kbInput = (name: string, extra: Partial<NewKnowledgeBaseInput> = {}): NewKnowledgeBaseInput => ({
  accountId: A,
  name,
  roleArn: "arn:aws:iam::111111111111:role/kb",
  configuration: { type: "VECTOR", vectorKnowledgeBaseConfiguration: { embeddingModelArn: "mock.embed" } },
  ...extra,
});
const custom = { name: "direct", configuration: { type: "CUSTOM" as const }, dataDeletionPolicy: "DELETE" as const };

const code = (expected: string) => (error: unknown) => {
  assert.ok(error instanceof BasaltError, String(error));
  assert.equal(error.code, expected, error.message);
  return true;
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function until<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (let i = 0; ; i++) {
    const value = await read();
    if (done(value)) return value;
    if (i > 500) throw new Error(`timed out; last value: ${JSON.stringify(value)}`);
    await sleep(20);
  }
}

describeEachEngine("knowledge-base store", (target) => {
  let db: Database;
  let store: KnowledgeBaseStore;
  const queues: JobQueue[] = [];

  before(async () => {
    db = openDatabase({ url: target.url(), poolSize: 4 });
    await migrate(db);
    store = new KnowledgeBaseStore({ db });
  });
  afterEach(async () => void (await Promise.all(queues.splice(0).map((q) => q.close({ graceMs: 0 })))));
  after(async () => db.close());

  it("creates ACTIVE knowledge bases with names unique per account, invisible to other accounts", async () => {
    const { knowledgeBase, created } = await store.createKnowledgeBase(kbInput("alpha", { description: "first" }));
    assert.equal(created, true);
    assert.match(knowledgeBase.id, /^[0-9A-Z]{10}$/);
    assert.equal(knowledgeBase.status, "ACTIVE");
    assert.equal(knowledgeBase.description, "first");
    assert.equal(knowledgeBase.storageConfiguration, undefined);
    assert.deepEqual(knowledgeBase.failureReasons, []);
    await assert.rejects(store.createKnowledgeBase(kbInput("alpha")), code("CONFLICT"));
    // Another account may use the name, and sees none of the first account's knowledge bases.
    const other = await store.createKnowledgeBase(kbInput("alpha", { accountId: B }));
    assert.notEqual(other.knowledgeBase.id, knowledgeBase.id);
    await assert.rejects(store.getKnowledgeBase(B, knowledgeBase.id), code("NOT_FOUND"));
    assert.equal(await store.findKnowledgeBase(B, knowledgeBase.id), undefined);
    assert.equal((await store.getKnowledgeBase(A, knowledgeBase.id)).name, "alpha");
  });

  it("replays a client token's knowledge base and refuses the token with other parameters", async () => {
    const first = await store.createKnowledgeBase(kbInput("tokened", { clientToken: TOKEN }));
    const again = await store.createKnowledgeBase(kbInput("tokened", { clientToken: TOKEN }));
    assert.equal(again.created, false);
    assert.equal(again.knowledgeBase.id, first.knowledgeBase.id);
    await assert.rejects(store.createKnowledgeBase(kbInput("tokened-2", { clientToken: TOKEN })), code("CONFLICT"));
    // The same token in another account is another token.
    const elsewhere = await store.createKnowledgeBase(kbInput("tokened", { accountId: B, clientToken: TOKEN }));
    assert.equal(elsewhere.created, true);
    // Once the knowledge base is gone, the token creates anew.
    await store.deleteKnowledgeBase(A, first.knowledgeBase.id);
    const recreated = await store.createKnowledgeBase(kbInput("tokened", { clientToken: TOKEN }));
    assert.equal(recreated.created, true);
    assert.notEqual(recreated.knowledgeBase.id, first.knowledgeBase.id);
  });

  it("pages knowledge bases in creation order with opaque tokens and refuses a foreign token", async () => {
    const account = "333333333333";
    const names = ["p1", "p2", "p3", "p4", "p5"];
    // Lists order by creation time, then id: a ticking clock makes creation order observable.
    let clock = Date.now();
    const ticking = new KnowledgeBaseStore({ db, now: () => ++clock });
    for (const name of names) await ticking.createKnowledgeBase(kbInput(name, { accountId: account }));
    const seen: string[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await store.listKnowledgeBases(account, { maxResults: 2, nextToken });
      seen.push(...page.items.map((kb) => kb.name));
      nextToken = page.nextToken;
      pages++;
    } while (nextToken);
    assert.deepEqual(seen, names);
    assert.equal(pages, 3);
    assert.equal((await store.listKnowledgeBases(account, { maxResults: 5 })).nextToken, undefined);
    const kb = (await store.listKnowledgeBases(account)).items[0]!;
    const dsToken = (await store.listDataSources(account, kb.id, {})).nextToken;
    assert.equal(dsToken, undefined);
    await assert.rejects(store.listKnowledgeBases(account, { nextToken: "not-a-token" }), code("VALIDATION"));
    const first = await store.listKnowledgeBases(account, { maxResults: 1 });
    await assert.rejects(store.listDataSources(account, kb.id, { nextToken: first.nextToken }), code("VALIDATION"));
  });

  it("updates a knowledge base's name and role, refusing a name another one has", async () => {
    const { knowledgeBase } = await store.createKnowledgeBase(kbInput("to-rename"));
    await store.createKnowledgeBase(kbInput("taken"));
    await assert.rejects(store.updateKnowledgeBase(A, knowledgeBase.id, { name: "taken", roleArn: knowledgeBase.roleArn }), code("CONFLICT"));
    const updated = await store.updateKnowledgeBase(A, knowledgeBase.id, { name: "renamed", roleArn: "arn:aws:iam::111111111111:role/other" });
    assert.equal(updated.name, "renamed");
    assert.equal(updated.description, undefined);
    assert.equal(updated.roleArn, "arn:aws:iam::111111111111:role/other");
    await assert.rejects(store.updateKnowledgeBase(B, knowledgeBase.id, { name: "x", roleArn: knowledgeBase.roleArn }), code("NOT_FOUND"));
    await store.setKnowledgeBaseStatus(A, knowledgeBase.id, "FAILED", ["the store is unreachable"]);
    assert.deepEqual((await store.getKnowledgeBase(A, knowledgeBase.id)).failureReasons, ["the store is unreachable"]);
  });

  it("keeps data sources per knowledge base, and the database refuses one under another account's knowledge base", async () => {
    const { knowledgeBase: kb1 } = await store.createKnowledgeBase(kbInput("ds-home"));
    const { knowledgeBase: kb2 } = await store.createKnowledgeBase(kbInput("ds-other"));
    const s3 = {
      name: "docs",
      configuration: { type: "S3" as const, s3Configuration: { bucketArn: "arn:aws:s3:::bucket-a", inclusionPrefixes: ["docs/"] } },
      dataDeletionPolicy: "RETAIN" as const,
      vectorIngestionConfiguration: { chunkingConfiguration: { chunkingStrategy: "NONE" } },
    };
    const { dataSource } = await store.createDataSource(A, kb1.id, s3);
    assert.equal(dataSource.status, "AVAILABLE");
    assert.equal(dataSource.dataDeletionPolicy, "RETAIN");
    assert.deepEqual(dataSource.configuration, s3.configuration);
    assert.deepEqual(dataSource.vectorIngestionConfiguration, s3.vectorIngestionConfiguration);
    await assert.rejects(store.createDataSource(A, kb1.id, s3), code("CONFLICT"));
    await store.createDataSource(A, kb2.id, s3); // the name is per knowledge base
    await assert.rejects(store.createDataSource(B, kb1.id, s3), code("NOT_FOUND"));
    const ref = { accountId: A, knowledgeBaseId: kb1.id, dataSourceId: dataSource.id };
    await assert.rejects(store.getDataSource({ ...ref, knowledgeBaseId: kb2.id }), /does not exist in knowledge base/);
    await assert.rejects(store.getDataSource({ ...ref, accountId: B }), /Knowledge base .* does not exist/);
    await assert.rejects(
      db.execute(
        `INSERT INTO kb_data_sources (id, account_id, knowledge_base_id, name, configuration, data_deletion_policy, status, created_at, updated_at)
         VALUES ('XXXXXXXXXX', $1, $2, 'sneaky', '{}', 'DELETE', 'AVAILABLE', 0, 0)`,
        [B, kb1.id],
      ),
    );
    const updated = await store.updateDataSource(ref, { ...s3, name: "docs-2", description: "renamed" });
    assert.equal(updated.name, "docs-2");
    assert.equal(updated.description, "renamed");
    const sources = await store.allDataSources(A, kb1.id);
    assert.deepEqual(
      sources.map((s) => s.name),
      ["docs-2"],
    );
  });

  it("keeps document records: full writes, status-only writes, streaming, pages and cascades", async () => {
    const { knowledgeBase } = await store.createKnowledgeBase(kbInput("docs-kb"));
    const { dataSource } = await store.createDataSource(A, knowledgeBase.id, custom);
    const ref: DataSourceRef = { accountId: A, knowledgeBaseId: knowledgeBase.id, dataSourceId: dataSource.id };
    const ids = ["d1", "d2", "d3", "d4", "d5"];
    await store.putDocuments(
      ref,
      ids.map((documentId, i) => ({ documentId, contentFingerprint: `etag-${i}`, metadataFingerprint: "m", status: "INDEXED" as const, chunkCount: i + 1, ingestionJobId: "JOB0000001" })),
    );
    const streamed: DocumentRecord[] = [];
    for await (const doc of store.documents(ref, { batchSize: 2 })) streamed.push(doc);
    assert.deepEqual(
      streamed.map((d) => [d.documentId, d.contentFingerprint, d.chunkCount]),
      ids.map((id, i) => [id, `etag-${i}`, i + 1]),
    );
    const firstPage = await store.listDocuments(ref, { maxResults: 3 });
    assert.deepEqual(
      firstPage.items.map((d) => d.documentId),
      ["d1", "d2", "d3"],
    );
    const secondPage = await store.listDocuments(ref, { maxResults: 3, nextToken: firstPage.nextToken });
    assert.deepEqual(
      secondPage.items.map((d) => d.documentId),
      ["d4", "d5"],
    );
    assert.equal(secondPage.nextToken, undefined);

    // Direct ingestion marks known and new documents; fingerprints of known ones stay.
    await store.recordDocumentStatus(ref, ["d1", "new"], { status: "STARTING" });
    const marked = await store.getDocuments(ref, ["d1", "new"]);
    const d1 = marked.find((d) => d.documentId === "d1")!;
    const fresh = marked.find((d) => d.documentId === "new")!;
    assert.equal(d1.status, "STARTING");
    assert.equal(d1.contentFingerprint, "etag-0");
    assert.equal(fresh.status, "STARTING");
    assert.equal(fresh.contentFingerprint, undefined);
    assert.equal(fresh.chunkCount, 0);
    // `from` limits a status change to documents still in those statuses.
    assert.equal(await store.setDocumentStatus(ref, ids, { status: "FAILED", statusReason: "gone wrong", from: ["STARTING"] }), 1);
    assert.deepEqual(await store.countDocuments(ref), { INDEXED: 4, FAILED: 1, STARTING: 1 });
    assert.equal((await store.getDocuments(ref, ["d1"]))[0]!.statusReason, "gone wrong");
    assert.equal(await store.deleteDocuments(ref, ["d2", "missing"]), 1);
    // Another account's reference reaches nothing.
    assert.deepEqual(await store.getDocuments({ ...ref, accountId: B }, ids), []);
    assert.equal(await store.deleteDocuments({ ...ref, accountId: B }, ids), 0);
    await store.deleteDataSource(ref);
    assert.deepEqual(await store.getDocuments(ref, ids), []);
  });

  it("runs ingestion jobs on the durable queue: one per data source, client tokens, statistics, failures, lists and stop", async () => {
    const queue = new JobQueue({ db, pollIntervalMs: 20, onError: (e) => assert.fail(String(e)) });
    queues.push(queue);
    const jobs = new IngestionJobs({ db, queue });
    const { knowledgeBase } = await store.createKnowledgeBase(kbInput("jobs-kb"));
    const { dataSource } = await store.createDataSource(A, knowledgeBase.id, custom);
    const ref: DataSourceRef = { accountId: A, knowledgeBaseId: knowledgeBase.id, dataSourceId: dataSource.id };

    // A handler standing in for the sync: counts, then waits until the test lets it finish.
    const release = new Map<string, (outcome: "ok" | "fail") => void>();
    queue.register<IngestionJobPayload, unknown>(INGESTION_JOB_TYPE, async (ctx: JobContext<IngestionJobPayload>) => {
      assert.deepEqual(ctx.payload, { knowledgeBaseId: ref.knowledgeBaseId, dataSourceId: ref.dataSourceId });
      await ctx.progress({ counters: { numberOfDocumentsScanned: 3, numberOfNewDocumentsIndexed: 2, numberOfDocumentsFailed: 1 } });
      const outcome = await new Promise<"ok" | "fail">((resolve) => {
        release.set(ctx.job.id, resolve);
        ctx.signal.addEventListener("abort", () => resolve("ok"));
      });
      if (ctx.signal.aborted) throw ctx.signal.reason;
      if (outcome === "fail") throw new BasaltError("VALIDATION", "The bucket does not exist.");
      return { failureReasons: ["s3://bucket/broken.pdf: the PDF is encrypted"] };
    });
    queue.start();

    const started = await jobs.start(ref, { clientToken: TOKEN, description: "first sync" });
    assert.equal(started.created, true);
    assert.equal(started.job.status, "STARTING");
    assert.equal(started.job.description, "first sync");
    assert.equal(started.job.statistics.numberOfDocumentsScanned, 0);
    assert.equal((await jobs.start(ref, { clientToken: TOKEN, description: "first sync" })).job.ingestionJobId, started.job.ingestionJobId);
    await assert.rejects(jobs.start(ref), code("CONFLICT"));
    const id = started.job.ingestionJobId;
    const running = await until(
      () => jobs.get(ref, id),
      (j) => j.statistics.numberOfDocumentsScanned === 3,
    );
    assert.equal(running.status, "IN_PROGRESS");
    assert.deepEqual(await jobs.running(A, knowledgeBase.id), [id]);
    release.get(id)!("ok");
    const done = await until(
      () => jobs.get(ref, id),
      (j) => j.status === "COMPLETE",
    );
    assert.deepEqual(done.statistics, {
      numberOfDocumentsScanned: 3,
      numberOfMetadataDocumentsScanned: 0,
      numberOfNewDocumentsIndexed: 2,
      numberOfModifiedDocumentsIndexed: 0,
      numberOfMetadataDocumentsModified: 0,
      numberOfDocumentsDeleted: 0,
      numberOfDocumentsFailed: 1,
    });
    assert.deepEqual(done.failureReasons, ["s3://bucket/broken.pdf: the PDF is encrypted"]);
    await assert.rejects(jobs.stop(ref, id), code("CONFLICT"));

    // A failed sync reports the handler's error among its failure reasons.
    const second = (await jobs.start(ref)).job.ingestionJobId;
    await until(() => Promise.resolve(release.has(second)), Boolean);
    release.get(second)!("fail");
    const failed = await until(
      () => jobs.get(ref, second),
      (j) => j.status === "FAILED",
    );
    assert.deepEqual(failed.failureReasons, ["The bucket does not exist."]);

    // Stop: the handler sees its signal and the job ends STOPPED.
    const third = (await jobs.start(ref)).job.ingestionJobId;
    await until(() => Promise.resolve(release.has(third)), Boolean);
    // The handler runs on this node, so it may honour the stop before the answer is read.
    assert.match((await jobs.stop(ref, third)).status, /^STOPP(ING|ED)$/);
    await until(
      () => jobs.get(ref, third),
      (j) => j.status === "STOPPED",
    );

    // Lists: newest first by default, filters by status, sorts, pages.
    const all = await jobs.list(ref);
    assert.deepEqual(
      all.items.map((j) => j.ingestionJobId),
      [third, second, id],
    );
    const oldestFirst: IngestionJob[] = [];
    let nextToken: string | undefined;
    do {
      const page = await jobs.list(ref, { maxResults: 2, nextToken, sortBy: { attribute: "STARTED_AT", order: "ASCENDING" } });
      oldestFirst.push(...page.items);
      nextToken = page.nextToken;
    } while (nextToken);
    assert.deepEqual(
      oldestFirst.map((j) => j.ingestionJobId),
      [id, second, third],
    );
    assert.deepEqual(
      (await jobs.list(ref, { statuses: ["FAILED", "STOPPED"], sortBy: { attribute: "STATUS", order: "ASCENDING" } })).items.map((j) => j.status),
      ["FAILED", "STOPPED"],
    );
    const byStatus = await jobs.list(ref, { maxResults: 1, sortBy: { attribute: "STATUS", order: "DESCENDING" } });
    assert.equal(byStatus.items[0]!.status, "STOPPED");
    const rest = await jobs.list(ref, { maxResults: 5, nextToken: byStatus.nextToken, sortBy: { attribute: "STATUS", order: "DESCENDING" } });
    assert.deepEqual(
      rest.items.map((j) => j.status),
      ["FAILED", "COMPLETE"],
    );
    await assert.rejects(jobs.list(ref, { nextToken: byStatus.nextToken }), code("VALIDATION"));

    // Isolation and unknown ids.
    await assert.rejects(jobs.get({ ...ref, accountId: B }, id), code("NOT_FOUND"));
    await assert.rejects(jobs.get(ref, "ZZZZZZZZZZ"), /Ingestion job ZZZZZZZZZZ does not exist/);
    await assert.rejects(jobs.start({ ...ref, dataSourceId: "ZZZZZZZZZZ" }), /Data source ZZZZZZZZZZ does not exist/);
  });

  it("refuses to delete a syncing knowledge base, calls lifecycle hooks, and undoes a direct ingestion its ingestor could not queue", async () => {
    const queue = new JobQueue({ db, pollIntervalMs: 20, onError: (e) => assert.fail(String(e)) });
    queues.push(queue);
    const events: string[] = [];
    const service = new KnowledgeBaseService({
      store,
      jobs: new IngestionJobs({ db, queue }),
      onError: () => undefined,
      lifecycle: {
        async onKnowledgeBaseCreated(kb) {
          events.push(`created ${kb.name}`);
          if (kb.name === "refused") throw new BasaltError("VALIDATION", "the vector table has 3 dimensions");
        },
        async onKnowledgeBaseDeleted(kb, sources) {
          events.push(`deleted ${kb.name} with ${sources.map((s) => s.name).join(",")}`);
        },
        async onDataSourceDeleted(_kb, ds) {
          events.push(`dropped ${ds.name}`);
        },
      },
      ingestor: {
        async ingest(target, documents: ValidatedDocument[]) {
          events.push(`ingest ${documents.map((d) => d.documentId).join(",")}`);
          if (events.filter((e) => e.startsWith("ingest")).length === 1) throw new Error("the job queue is not reachable");
          // Queued work is recorded in the caller's transaction.
          await store.setDocumentStatus(target, documents.map((d) => d.documentId), { status: "STARTING", ingestionJobId: "JOB0000042" });
        },
        async remove() {},
      },
    });
    await assert.rejects(service.createKnowledgeBase(kbInput("refused")), /3 dimensions/);
    assert.equal((await store.listKnowledgeBases(A, { maxResults: 1000 })).items.some((kb) => kb.name === "refused"), false);

    const { knowledgeBase } = await service.createKnowledgeBase(kbInput("hooked"));
    const { dataSource } = await store.createDataSource(A, knowledgeBase.id, custom);
    const ref: DataSourceRef = { accountId: A, knowledgeBaseId: knowledgeBase.id, dataSourceId: dataSource.id };
    const doc: ValidatedDocument = { documentId: "doc-1", content: { type: "TEXT", text: "hello" } };
    // The ingestor could not queue the work: the request fails and leaves nothing behind, its client token included.
    await assert.rejects(service.ingestDocuments(ref, [doc], { clientToken: TOKEN }), /the job queue is not reachable/);
    assert.deepEqual(await store.getDocuments(ref, ["doc-1"]), []);
    const records = await service.ingestDocuments(ref, [doc], { clientToken: TOKEN });
    assert.deepEqual(
      records.map((r) => [r.documentId, r.status]),
      [["doc-1", "STARTING"]],
    );
    const [queued] = await store.getDocuments(ref, ["doc-1"]);
    assert.equal(queued!.ingestionJobId, "JOB0000042");
    // The same token and documents again: nothing is queued anew.
    await service.ingestDocuments(ref, [doc], { clientToken: TOKEN });
    assert.equal(events.filter((e) => e.startsWith("ingest")).length, 2);
    await assert.rejects(service.ingestDocuments(ref, [{ documentId: "doc-1", content: { type: "TEXT", text: "changed" } }], { clientToken: TOKEN }), code("CONFLICT"));

    await new IngestionJobs({ db, queue }).start(ref); // no handler registered: it stays STARTING
    await assert.rejects(service.deleteKnowledgeBase(A, knowledgeBase.id), code("CONFLICT"));
    await assert.rejects(service.deleteDataSource(ref), code("CONFLICT"));
    await db.execute("UPDATE jobs SET state = 'STOPPED' WHERE type = $1 AND account_id = $2", [INGESTION_JOB_TYPE, A]);
    await service.deleteKnowledgeBase(A, knowledgeBase.id);
    assert.deepEqual(events.slice(-1), ["deleted hooked with direct"]);
    await assert.rejects(store.getKnowledgeBase(A, knowledgeBase.id), code("NOT_FOUND"));
  });
});
