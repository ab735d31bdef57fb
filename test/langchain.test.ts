// LangChain's ChatBedrockConverse against the live server. It ignores clientOptions.endpoint
// (bedrock-wire.md §8), so it is given a BedrockRuntimeClient with the endpoint.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { BedrockRuntimeClient } from "@aws-sdk/client-bedrock-runtime";
import { ChatBedrockConverse } from "@langchain/aws";
import { HumanMessage, SystemMessage } from "@langchain/core/messages";
import { DUMMY_CREDENTIALS, startTestServer, type TestServer } from "./helpers/server.ts";

describe("LangChain ChatBedrockConverse", () => {
  let server: TestServer;
  let client: BedrockRuntimeClient;

  before(async () => {
    server = await startTestServer({
      models: [
        { provider: "mock", id: "mock.echo", aliases: ["anthropic.claude-3-haiku-20240307-v1:0"] },
        { provider: "mock", id: "mock.tools", mode: "script", responses: [{ toolCalls: [{ name: "get_weather", input: { city: "Oslo" } }] }] },
      ],
    });
    client = new BedrockRuntimeClient({ endpoint: server.url, region: "us-east-1", credentials: DUMMY_CREDENTIALS, maxAttempts: 1 });
  });
  after(async () => {
    client.destroy();
    await server.stop();
  });

  it("invokes and streams with usage metadata", async () => {
    const chat = new ChatBedrockConverse({ model: "anthropic.claude-3-haiku-20240307-v1:0", region: "us-east-1", client });
    const answer = await chat.invoke([new SystemMessage("Be brief."), new HumanMessage("hello from langchain")]);
    assert.equal(answer.content, "hello from langchain");
    assert.ok(answer.usage_metadata && answer.usage_metadata.input_tokens > 0);
    let streamed = "";
    for await (const chunk of await chat.stream([new HumanMessage("streamed words arrive in pieces")])) {
      streamed += typeof chunk.content === "string" ? chunk.content : "";
    }
    assert.equal(streamed, "streamed words arrive in pieces");
  });

  it("returns tool calls from bound tools", async () => {
    const chat = new ChatBedrockConverse({ model: "mock.tools", region: "us-east-1", client }).bindTools([
      { type: "function", function: { name: "get_weather", description: "Weather by city", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } } },
    ]);
    const answer = await chat.invoke([new HumanMessage("Weather in Oslo?")]);
    assert.equal(answer.tool_calls?.[0]?.name, "get_weather");
    assert.deepEqual(answer.tool_calls?.[0]?.args, { city: "Oslo" });
  });
});
