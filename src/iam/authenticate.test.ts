// Scheme dispatch: Bearer to the API key verifier, SigV4 to the signature verifier, and a
// clear refusal for a scheme the server has not enabled.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ApiKeyVerifier, generateApiKey } from "./api-keys.ts";
import { authenticate } from "./authenticate.ts";
import { SigV4Verifier } from "./sigv4.ts";

const PEPPER = "pepper-for-tests-0123456789abcdef";
const request = (authorization?: string) => ({ method: "GET", url: "/foundation-models", headers: authorization ? { authorization } : {}, body: Buffer.alloc(0) });

describe("authenticate", () => {
  const issued = generateApiKey(PEPPER);
  const apiKeys = new ApiKeyVerifier({ pepper: PEPPER, lookup: (id) => (id === issued.id ? { id, hash: issued.hash } : undefined) });
  const sigv4 = new SigV4Verifier({ region: "us-east-1", lookupSecret: () => undefined });

  it("sends a bearer key to the API key verifier", async () => {
    assert.deepEqual(await authenticate(request(`Bearer ${issued.key}`), { apiKeys, sigv4 }), { ok: true, credential: { type: "api-key", keyId: issued.id } });
  });

  it("refuses schemes that are not enabled, and requests without credentials", async () => {
    const cases: Array<[string | undefined, Parameters<typeof authenticate>[1], string, RegExp]> = [
      [`Bearer ${issued.key}`, { sigv4 }, "UnrecognizedClientException", /API keys are not enabled/],
      ["AWS4-HMAC-SHA256 Credential=x", { apiKeys }, "UnrecognizedClientException", /Access keys are not enabled/],
      [undefined, { apiKeys, sigv4 }, "MissingAuthenticationTokenException", /Missing Authentication Token/],
      ["Basic dXNlcjpwYXNz", { apiKeys, sigv4 }, "IncompleteSignatureException", /Unsupported AWS 'algorithm': 'Basic'/],
    ];
    for (const [authorization, verifiers, name, message] of cases) {
      const result = await authenticate(request(authorization), verifiers);
      assert.equal(result.ok, false);
      if (result.ok) continue;
      assert.equal(result.error.name, name);
      assert.match(result.error.message, message);
    }
  });
});
