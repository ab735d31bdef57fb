// The vector store suite again with every search sent through the HNSW index (and pgvector's
// iterative scan under filters), as a large table would be searched, so the approximate path
// meets the same expectations as the exact one.
import { describePgvectorConformance } from "../../../../test/helpers/pglite.ts";

await describePgvectorConformance("pgvector conformance through HNSW", { exactSearchRows: 0 });
