// Two Basalt servers on one PostgreSQL database share their quotas: requests per minute are
// counted across both, so the request past the limit is refused by whichever server gets it.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BedrockRuntimeClient, ConverseCommand } from "@aws-sdk/client-bedrock-runtime";
import { createTestDatabase, PG_SKIP_REASON, type TestPostgresDatabase } from "./helpers/postgres.ts";
import { DUMMY_CREDENTIALS, startTestServer, type TestServer } from "./helpers/server.ts";

describe("quotas shared by two servers on PostgreSQL", { skip: PG_SKIP_REASON }, () => {
  let database: TestPostgresDatabase;
  const servers: TestServer[] = [];
  const clients: BedrockRuntimeClient[] = [];

  before(async () => {
    database = await createTestDatabase();
    for (let i = 0; i < 2; i++) {
      const server = await startTestServer({
        embeddedDefaults: false,
        models: [{ provider: "mock", id: "mock.echo" }],
        database: { url: database.url },
        quotas: { models: { "mock.echo": { requestsPerMinute: 3 } } },
      });
      servers.push(server);
      clients.push(new BedrockRuntimeClient({ endpoint: server.url, region: "us-east-1", credentials: DUMMY_CREDENTIALS, maxAttempts: 1 }));
    }
  });
  after(async () => {
    for (const client of clients) client.destroy();
    for (const server of servers) await server.stop();
    await database?.drop();
  });

  it("refuses the fourth request of the minute on either server with ThrottlingException", async () => {
    const converse = (i: number) => clients[i % 2]!.send(new ConverseCommand({ modelId: "mock.echo", messages: [{ role: "user", content: [{ text: `hi ${i}` }] }] }));
    for (let i = 0; i < 3; i++) assert.equal((await converse(i)).stopReason, "end_turn");
    for (const i of [3, 4]) {
      await assert.rejects(converse(i), (error: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(error.name, "ThrottlingException");
        assert.equal(error.$metadata?.httpStatusCode, 429);
        return true;
      });
    }
  });
});
