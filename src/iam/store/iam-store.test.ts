// The IAM store's conformance suite, on SQLite and on PostgreSQL.
import { describeEachEngine } from "../../../test/conformance/engines.ts";
import { iamStoreConformance } from "../../../test/conformance/iam-store.ts";

describeEachEngine("IAM store", (target) => iamStoreConformance(target));
