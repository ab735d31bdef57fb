// The filter compiler against `matchesFilter`, property-style: hundreds of generated filters
// over generated metadata (every value shape, numeric strings, unicode, quotes, SQL in keys and
// values), each run as SQL in a real engine and compared row by row with the in-memory matcher.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import pg from "pg";
import { pgvectorTestTargets, type PgliteServer } from "../../../../test/helpers/pglite.ts";
import { seededRandom } from "../../../util/seeded-random.ts";
import { matchesFilter, parseMetadataFilter, type Metadata, type MetadataFilter } from "../filter.ts";
import { compileFilter, jsNumberSql, MAX_NUMERIC_STRING, SqlParams } from "./filter-sql.ts";

const KEYS = ["genre", "year", "tags", "flag", "x-amz-bedrock-kb-source-uri", "it's \"k\"; DROP TABLE filter_cases; --", "ключ ü"];
// Strings that look like numbers in every way Number() reads them, and ones that do not.
const NUMERIC_STRINGS = ["5", " 5 ", "\u00a05\n", "5.0", "5.", ".5", "+5", "-0", "0", "", "  ", "1e1", "1E+1", "10e-1", "0x10", "0X1f", "0o17", "0b101", "0x", "1_000", "5\u200b", "Infinity", "-Infinity", "NaN", "1e400", "1e-400", "9007199254740993", "0x20000000000001", "0.1000000000000000055511151231257827", "12abc", "+0x10"];
const WORDS = ["science", "Science", "sci-fi", "fiction", "", "a", "ab", "abc", "x'y", "it's \"quoted\"", "%_", "100%", "back\\slash", "ünïcödé", "李白", "😀 emoji", "s3://docs/reports/a.pdf", "s3://docs/notes/b.txt", "true", "false"];
const NUMBERS = [0, -0, 5, 10, 15, 16, 0.5, 0.1, -3.25, 1000, 2020, 1e21, 9007199254740992, -1];
const STRINGS = [...WORDS, ...NUMERIC_STRINGS];

function pick<T>(random: () => number, values: readonly T[]): T {
  return values[Math.floor(random() * values.length)]!;
}

function scalar(random: () => number): string | number | boolean {
  const r = random();
  return r < 0.55 ? pick(random, STRINGS) : r < 0.9 ? pick(random, NUMBERS) : random() < 0.5;
}

function metadata(random: () => number): Metadata {
  const m: Record<string, unknown> = {};
  for (const key of KEYS) {
    if (random() < 0.3) continue;
    const r = random();
    if (r < 0.6) m[key] = scalar(random);
    else if (r < 0.9) m[key] = Array.from({ length: Math.floor(random() * 4) }, () => pick(random, STRINGS));
    // Arrays the type does not promise but JSON allows: numbers and booleans in a list.
    else m[key] = Array.from({ length: 1 + Math.floor(random() * 3) }, () => scalar(random));
  }
  return m as Metadata;
}

const OPERATORS = ["equals", "notEquals", "greaterThan", "greaterThanOrEquals", "lessThan", "lessThanOrEquals", "in", "notIn", "startsWith", "listContains", "stringContains"] as const;

function wireFilter(random: () => number, depth = 0): unknown {
  if (depth < 2 && random() < 0.25) {
    const filters = Array.from({ length: 2 + Math.floor(random() * 2) }, () => wireFilter(random, depth + 1));
    return { [random() < 0.5 ? "andAll" : "orAll"]: filters };
  }
  const op = pick(random, OPERATORS);
  const key = random() < 0.05 ? "absent" : pick(random, KEYS);
  let value: unknown;
  if (op.startsWith("greater") || op.startsWith("less")) value = pick(random, NUMBERS);
  else if (op === "in" || op === "notIn") value = Array.from({ length: 1 + Math.floor(random() * 4) }, () => scalar(random));
  else if (op === "startsWith" || op === "stringContains") value = random() < 0.7 ? pick(random, STRINGS).slice(0, 1 + Math.floor(random() * 4)) : pick(random, STRINGS);
  else value = scalar(random);
  return { [op]: { key, value } };
}

const ROWS = 240;
const FILTERS = 300;

for (const target of await pgvectorTestTargets()) {
  describe(`metadata filters compiled to SQL on ${target.name}`, { skip: target.skip }, () => {
    let server: PgliteServer;
    let client: pg.Client;
    const random = seededRandom(2024);
    const rows = Array.from({ length: ROWS }, () => metadata(random));

    before(async () => {
      server = await target.start();
      client = new pg.Client({ connectionString: server.url });
      await client.connect();
      await client.query("CREATE TABLE filter_cases (id int PRIMARY KEY, m jsonb NOT NULL)");
      await client.query("INSERT INTO filter_cases SELECT * FROM unnest($1::int[], $2::jsonb[])", [rows.map((_, i) => i), rows.map((m) => JSON.stringify(m))]);
    });
    after(async () => {
      await client?.end();
      await server?.close();
    });

    const select = async (filter: MetadataFilter): Promise<number[]> => {
      const params = new SqlParams();
      const where = compileFilter(filter, "filter_cases.m", params);
      const result = await client.query<{ id: number }>(`SELECT id FROM filter_cases WHERE ${where} ORDER BY id`, params.values);
      return result.rows.map((row) => row.id);
    };

    it("selects exactly the rows matchesFilter selects, for generated filters", async () => {
      const ops = new Set<string>();
      let nonTrivial = 0;
      for (let n = 0; n < FILTERS; n++) {
        const wire = wireFilter(random);
        const filter = parseMetadataFilter(wire);
        JSON.stringify(wire).replace(/"(\w+)":\{"key"/g, (_, op: string) => (ops.add(op), ""));
        const expected = rows.flatMap((m, i) => (matchesFilter(m, filter) ? [i] : []));
        if (expected.length > 0 && expected.length < ROWS) nonTrivial++;
        const actual = await select(filter);
        if (JSON.stringify(actual) !== JSON.stringify(expected)) {
          const differ = [...actual.filter((i) => !expected.includes(i)), ...expected.filter((i) => !actual.includes(i))];
          assert.fail(`filter ${JSON.stringify(wire)}: SQL and matchesFilter disagree on rows ${differ.slice(0, 3).map((i) => JSON.stringify(rows[i])).join(", ")}`);
        }
      }
      assert.equal(ops.size, OPERATORS.length, "every operator was generated");
      assert.ok(nonTrivial > FILTERS / 3, `most filters split the rows (${nonTrivial} of ${FILTERS})`);
    });

    it("reads numeric strings as JavaScript's Number() does", async () => {
      const values = [...NUMERIC_STRINGS, "0b", "0o8", "0x1g", "1e", "e5", ".", "-", "1.e5", "00012", "-.5e-1", "1".repeat(MAX_NUMERIC_STRING), `0.${"0".repeat(990)}5`, `0x${"f".repeat(300)}`, `0b1${"0".repeat(60)}1`];
      const params = new SqlParams();
      const exprs = values.map((v) => jsNumberSql(`${params.add(v)}::text`, params));
      const result = await client.query<Record<string, number | null>>(`SELECT ${exprs.map((e, i) => `${e} AS v${i}`).join(", ")}`, params.values);
      values.forEach((v, i) => {
        const js = Number(v);
        // -0 + 0 is 0: the filter semantics (===) do not tell the zeros apart, nor does numeric.
        const expected = Number.isFinite(js) ? js + 0 : null;
        const actual = result.rows[0]![`v${i}`];
        assert.equal(actual === null || actual === undefined ? null : actual + 0, expected, `Number(${JSON.stringify(v)})`);
      });
      // Past the documented bound a string is not read as a number at all.
      const long = new SqlParams();
      const past = await client.query(`SELECT ${jsNumberSql(`${long.add("1".repeat(MAX_NUMERIC_STRING + 1))}::text`, long)} AS v`, long.values);
      assert.equal(past.rows[0].v, null);
    });

    it("treats keys and values as data, never as SQL", async () => {
      const key = "it's \"k\"; DROP TABLE filter_cases; --";
      for (const wire of [{ equals: { key, value: "x'); DROP TABLE filter_cases; --" } }, { stringContains: { key, value: "'" } }, { in: { key, value: ["$1", "\\", "%"] } }]) {
        const filter = parseMetadataFilter(wire);
        assert.deepEqual(await select(filter), rows.flatMap((m, i) => (matchesFilter(m, filter) ? [i] : [])), JSON.stringify(wire));
      }
      assert.equal((await client.query("SELECT count(*)::int AS n FROM filter_cases")).rows[0].n, ROWS);
    });
  });
}
