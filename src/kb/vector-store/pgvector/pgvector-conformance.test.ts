// The engine-neutral vector store suite (test/conformance/vector-store.ts) on pgvector, with
// its defaults: small sets ranked exactly, larger ones through the HNSW index. In PGlite
// always, and in the real PostgreSQL when BASALT_TEST_PG_URL names one with pgvector.
import { describePgvectorConformance } from "../../../../test/helpers/pglite.ts";

await describePgvectorConformance("pgvector conformance");
