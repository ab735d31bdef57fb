// Validation of Bedrock's chunkingConfiguration: valid shapes pass through, every documented
// limit fails with a ValidationException naming the exact field.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BasaltError } from "../../spec/errors.ts";
import { parseChunkingConfiguration } from "./chunking-config.ts";

const P = "vectorIngestionConfiguration.chunkingConfiguration";

/** Asserts a ValidationException whose message names `field`. */
function rejects(input: unknown, field: string, problem?: RegExp): void {
  assert.throws(
    () => parseChunkingConfiguration(input),
    (error: unknown) => {
      assert.ok(error instanceof BasaltError, `expected a BasaltError, got ${String(error)}`);
      assert.equal(error.code, "VALIDATION");
      assert.equal(error.name, "ValidationException");
      assert.match(error.message, new RegExp(`Value at '${field.replace(/\./g, "\\.")}'`));
      if (problem) assert.match(error.message, problem);
      return true;
    },
  );
}

const fixed = (sub: Record<string, unknown>) => ({ chunkingStrategy: "FIXED_SIZE", fixedSizeChunkingConfiguration: sub });
const hierarchical = (sub: Record<string, unknown>) => ({ chunkingStrategy: "HIERARCHICAL", hierarchicalChunkingConfiguration: sub });
const semantic = (sub: Record<string, unknown>) => ({ chunkingStrategy: "SEMANTIC", semanticChunkingConfiguration: sub });

describe("parseChunkingConfiguration", () => {
  it("returns undefined (Bedrock's default chunking) when absent", () => {
    assert.equal(parseChunkingConfiguration(undefined), undefined);
    assert.equal(parseChunkingConfiguration(null), undefined);
  });

  it("accepts every strategy with its sub-configuration", () => {
    assert.deepEqual(parseChunkingConfiguration({ chunkingStrategy: "NONE" }), { chunkingStrategy: "NONE" });
    assert.deepEqual(parseChunkingConfiguration(fixed({ maxTokens: 512, overlapPercentage: 20 })), fixed({ maxTokens: 512, overlapPercentage: 20 }));
    const h = hierarchical({ levelConfigurations: [{ maxTokens: 1500 }, { maxTokens: 300 }], overlapTokens: 60 });
    assert.deepEqual(parseChunkingConfiguration(h), h);
    const s = semantic({ maxTokens: 300, bufferSize: 0, breakpointPercentileThreshold: 95 });
    assert.deepEqual(parseChunkingConfiguration(s), s);
  });

  it("accepts the boundary values Bedrock documents", () => {
    assert.ok(parseChunkingConfiguration(fixed({ maxTokens: 1, overlapPercentage: 1 })));
    assert.ok(parseChunkingConfiguration(fixed({ maxTokens: 8192, overlapPercentage: 99 })));
    assert.ok(parseChunkingConfiguration(hierarchical({ levelConfigurations: [{ maxTokens: 8192 }, { maxTokens: 8192 }], overlapTokens: 1 })));
    assert.ok(parseChunkingConfiguration(semantic({ maxTokens: 1, bufferSize: 1, breakpointPercentileThreshold: 50 })));
    assert.ok(parseChunkingConfiguration(semantic({ maxTokens: 20000, bufferSize: 0, breakpointPercentileThreshold: 99 })));
  });

  it("requires a known chunkingStrategy", () => {
    rejects({}, `${P}.chunkingStrategy`, /must not be null/);
    rejects({ chunkingStrategy: "RECURSIVE" }, `${P}.chunkingStrategy`, /enum value set: \[FIXED_SIZE, NONE, HIERARCHICAL, SEMANTIC\]/);
    rejects("FIXED_SIZE", P, /must be an object/);
  });

  it("requires the chosen strategy's sub-configuration and refuses the others", () => {
    rejects({ chunkingStrategy: "FIXED_SIZE" }, `${P}.fixedSizeChunkingConfiguration`, /must not be null/);
    rejects({ chunkingStrategy: "HIERARCHICAL" }, `${P}.hierarchicalChunkingConfiguration`, /must not be null/);
    rejects({ chunkingStrategy: "SEMANTIC" }, `${P}.semanticChunkingConfiguration`, /must not be null/);
    rejects(
      { chunkingStrategy: "NONE", fixedSizeChunkingConfiguration: { maxTokens: 300, overlapPercentage: 20 } },
      `${P}.fixedSizeChunkingConfiguration`,
      /must not be set when chunkingStrategy is NONE/,
    );
    rejects(
      { ...fixed({ maxTokens: 300, overlapPercentage: 20 }), semanticChunkingConfiguration: { maxTokens: 300, bufferSize: 0, breakpointPercentileThreshold: 95 } },
      `${P}.semanticChunkingConfiguration`,
    );
  });

  it("checks FIXED_SIZE limits: maxTokens 1–8192, overlapPercentage 1–99, integers", () => {
    const f = `${P}.fixedSizeChunkingConfiguration`;
    rejects(fixed({ maxTokens: 0, overlapPercentage: 20 }), `${f}.maxTokens`, /greater than or equal to 1/);
    rejects(fixed({ maxTokens: 8193, overlapPercentage: 20 }), `${f}.maxTokens`, /less than or equal to 8192/);
    rejects(fixed({ maxTokens: 300.5, overlapPercentage: 20 }), `${f}.maxTokens`, /integer/);
    rejects(fixed({ maxTokens: "300", overlapPercentage: 20 }), `${f}.maxTokens`, /number/);
    rejects(fixed({ overlapPercentage: 20 }), `${f}.maxTokens`, /must not be null/);
    rejects(fixed({ maxTokens: 300, overlapPercentage: 0 }), `${f}.overlapPercentage`, /greater than or equal to 1/);
    rejects(fixed({ maxTokens: 300, overlapPercentage: 100 }), `${f}.overlapPercentage`, /less than or equal to 99/);
    rejects(fixed({ maxTokens: 300 }), `${f}.overlapPercentage`, /must not be null/);
  });

  it("checks HIERARCHICAL: exactly two levels, each 1–8192, child ≤ parent, overlap ≥ 1 and below the child size", () => {
    const h = `${P}.hierarchicalChunkingConfiguration`;
    rejects(hierarchical({ levelConfigurations: [{ maxTokens: 1500 }], overlapTokens: 60 }), `${h}.levelConfigurations`, /greater than or equal to 2/);
    rejects(
      hierarchical({ levelConfigurations: [{ maxTokens: 1500 }, { maxTokens: 300 }, { maxTokens: 100 }], overlapTokens: 60 }),
      `${h}.levelConfigurations`,
      /less than or equal to 2/,
    );
    rejects(hierarchical({ levelConfigurations: [{ maxTokens: 9000 }, { maxTokens: 300 }], overlapTokens: 60 }), `${h}.levelConfigurations.0.maxTokens`, /8192/);
    rejects(hierarchical({ levelConfigurations: [{ maxTokens: 1500 }, { maxTokens: 0 }], overlapTokens: 60 }), `${h}.levelConfigurations.1.maxTokens`, /greater than or equal to 1/);
    rejects(hierarchical({ levelConfigurations: [{ maxTokens: 1500 }, {}], overlapTokens: 60 }), `${h}.levelConfigurations.1.maxTokens`, /must not be null/);
    rejects(hierarchical({ levelConfigurations: [{ maxTokens: 1500 }, 7], overlapTokens: 60 }), `${h}.levelConfigurations.1`, /must be an object/);
    rejects(hierarchical({ levelConfigurations: [{ maxTokens: 300 }, { maxTokens: 1500 }], overlapTokens: 60 }), `${h}.levelConfigurations.1.maxTokens`, /must not exceed the parent/);
    rejects(hierarchical({ levelConfigurations: [{ maxTokens: 1500 }, { maxTokens: 300 }], overlapTokens: 0 }), `${h}.overlapTokens`, /greater than or equal to 1/);
    rejects(hierarchical({ levelConfigurations: [{ maxTokens: 1500 }, { maxTokens: 300 }], overlapTokens: 300 }), `${h}.overlapTokens`, /less than the child level's maxTokens \(300\)/);
    rejects(hierarchical({ levelConfigurations: [{ maxTokens: 1500 }, { maxTokens: 300 }] }), `${h}.overlapTokens`, /must not be null/);
    rejects(hierarchical({ levelConfigurations: "two", overlapTokens: 60 }), `${h}.levelConfigurations`, /must be a list/);
  });

  it("checks SEMANTIC: maxTokens ≥ 1, bufferSize 0–1, breakpointPercentileThreshold 50–99", () => {
    const s = `${P}.semanticChunkingConfiguration`;
    rejects(semantic({ maxTokens: 0, bufferSize: 0, breakpointPercentileThreshold: 95 }), `${s}.maxTokens`, /greater than or equal to 1/);
    rejects(semantic({ maxTokens: 300, bufferSize: 2, breakpointPercentileThreshold: 95 }), `${s}.bufferSize`, /less than or equal to 1/);
    rejects(semantic({ maxTokens: 300, bufferSize: -1, breakpointPercentileThreshold: 95 }), `${s}.bufferSize`, /greater than or equal to 0/);
    rejects(semantic({ maxTokens: 300, bufferSize: 0, breakpointPercentileThreshold: 49 }), `${s}.breakpointPercentileThreshold`, /greater than or equal to 50/);
    rejects(semantic({ maxTokens: 300, bufferSize: 0, breakpointPercentileThreshold: 100 }), `${s}.breakpointPercentileThreshold`, /less than or equal to 99/);
    rejects(semantic({ maxTokens: 300, bufferSize: 0 }), `${s}.breakpointPercentileThreshold`, /must not be null/);
  });

  it("names fields under the path it is given", () => {
    assert.throws(
      () => parseChunkingConfiguration({ chunkingStrategy: "FIXED_SIZE", fixedSizeChunkingConfiguration: { maxTokens: 0, overlapPercentage: 5 } }, "dataSource.chunking"),
      /Value at 'dataSource\.chunking\.fixedSizeChunkingConfiguration\.maxTokens'/,
    );
  });
});
