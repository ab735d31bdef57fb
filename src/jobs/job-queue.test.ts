// The job queue's conformance suite, on SQLite and on PostgreSQL.
import { describeEachEngine } from "../../test/conformance/engines.ts";
import { jobQueueConformance } from "../../test/conformance/job-queue.ts";

describeEachEngine("job queue", (target) => jobQueueConformance(target));
