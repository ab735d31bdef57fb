// The operation → action/resource table: complete for every route Basalt serves, and the
// ARNs it builds are the ones policies are written against.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { accountResourceArn, authorizationFor, modelResourceArn, OPERATIONS } from "./actions.ts";
import { simulate } from "./policy/evaluate.ts";

const API_DIR = join(import.meta.dirname, "..", "api");
// Routes that serve nothing a principal could be authorized for. They still require
// authentication once credentials exist (/metrics: Prometheus scrapes it with a bearer API key).
const UNAUTHORIZED_ROUTES = new Set(["GET /v1/*", "POST /v1/*", "PUT /v1/*", "PATCH /v1/*", "DELETE /v1/*", "GET /metrics"]);

describe("IAM actions", () => {
  it("maps every route the API registers", () => {
    const registered = new Set<string>();
    for (const dir of readdirSync(API_DIR, { withFileTypes: true })) {
      if (!dir.isDirectory()) continue;
      for (const file of readdirSync(join(API_DIR, dir.name))) {
        if (!file.endsWith("routes.ts")) continue;
        const text = readFileSync(join(API_DIR, dir.name, file), "utf8");
        for (const m of text.matchAll(/router\.on\("(\w+)", "([^"]+)"/g)) registered.add(`${m[1]} ${m[2]}`);
      }
    }
    assert.ok(registered.size >= 10, `found ${registered.size} routes`);
    const mapped = new Set(Object.values(OPERATIONS).map((op) => `${op.method} ${op.path}`));
    const unmapped = [...registered].filter((route) => !mapped.has(route) && !UNAUTHORIZED_ROUTES.has(route));
    assert.deepEqual(unmapped, [], "every route needs an IAM action in src/iam/actions.ts");
  });

  it("authorizes Converse with InvokeModel and streams with InvokeModelWithResponseStream", () => {
    const region = "us-east-1";
    const model = "anthropic.claude-3-haiku-20240307-v1:0";
    const arn = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0";
    assert.deepEqual(authorizationFor("Converse", { region, model }), { action: "bedrock:InvokeModel", resource: arn });
    assert.deepEqual(authorizationFor("ConverseStream", { region, model }), { action: "bedrock:InvokeModelWithResponseStream", resource: arn });
    assert.deepEqual(authorizationFor("openai.ChatCompletions", { region, model, stream: true }), { action: "bedrock:InvokeModelWithResponseStream", resource: arn });
    assert.deepEqual(authorizationFor("openai.ChatCompletions", { region, model }), { action: "bedrock:InvokeModel", resource: arn });
    assert.deepEqual(authorizationFor("ListFoundationModels", { region }), { action: "bedrock:ListFoundationModels", resource: "*" });
    assert.throws(() => authorizationFor("InvokeModel", { region }), /none was given/);
  });

  it("authorizes on the model actually served, whatever ARN the client named", () => {
    const expected = "arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-8b";
    assert.equal(modelResourceArn("us-east-1", "meta.llama3-8b"), expected);
    assert.equal(modelResourceArn("us-east-1", "arn:aws:bedrock:eu-west-1::foundation-model/meta.llama3-8b"), expected);
    assert.equal(modelResourceArn("us-east-1", "arn:aws:bedrock:us-east-1:111122223333:inference-profile/meta.llama3-8b"), expected);
    assert.equal(accountResourceArn({ region: "us-east-1", accountId: "111122223333", type: "knowledge-base", id: "KB12345678" }), "arn:aws:bedrock:us-east-1:111122223333:knowledge-base/KB12345678");
  });

  it("lets a user allowed one model invoke it and denies another", () => {
    const principalPolicies = [
      { name: "haiku-only", document: { Version: "2012-10-17", Statement: [{ Sid: "Haiku", Effect: "Allow", Action: ["bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"], Resource: "arn:aws:bedrock:*::foundation-model/anthropic.claude-3-haiku-*" }] } },
    ];
    const request = (operation: "Converse" | "ConverseStream", model: string) => ({ principalPolicies, ...authorizationFor(operation, { region: "us-east-1", model }) });
    assert.equal(simulate(request("Converse", "anthropic.claude-3-haiku-20240307-v1:0")).decision, "allowed");
    assert.equal(simulate(request("ConverseStream", "anthropic.claude-3-haiku-20240307-v1:0")).matchedStatement?.sid, "Haiku");
    assert.equal(simulate(request("Converse", "anthropic.claude-3-5-sonnet-20240620-v1:0")).decision, "implicitDeny");
  });
});
