// The metadata database's conformance suite, on SQLite and on PostgreSQL.
import { databaseConformance } from "../../../test/conformance/database.ts";
import { describeEachEngine } from "../../../test/conformance/engines.ts";

describeEachEngine("metadata database", (target) => databaseConformance(target));
