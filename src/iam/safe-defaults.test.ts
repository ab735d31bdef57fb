// Which addresses count as loopback, and the refusal to serve anything else without credentials.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { assertSafeBind, isLoopbackHost, UnsafeBindError } from "./safe-defaults.ts";

describe("safe defaults", () => {
  it("treats only loopback addresses as loopback", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost", "LOCALHOST", "api.localhost", "::ffff:127.0.0.1"]) assert.ok(isLoopbackHost(host), host);
    for (const host of ["0.0.0.0", "::", "", "10.0.0.5", "192.168.1.2", "example.com", "::ffff:10.0.0.1", "128.0.0.1"]) assert.ok(!isLoopbackHost(host), host);
  });

  it("refuses a non-loopback bind only when there are no credentials", () => {
    assert.throws(() => assertSafeBind({ host: "0.0.0.0", hasCredentials: false }), UnsafeBindError);
    assertSafeBind({ host: "0.0.0.0", hasCredentials: true });
    assertSafeBind({ host: "127.0.0.1", hasCredentials: false });
  });
});
