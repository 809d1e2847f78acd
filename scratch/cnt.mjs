import { DuckDBInstance } from '@duckdb/node-api';
const inst = await DuckDBInstance.create(process.argv[2]);
const db = await inst.connect();
for (const q of ["SELECT kind, count(*), count(DISTINCT scope), avg(length(counters)) FROM live_counters GROUP BY kind ORDER BY kind", "SELECT count(*) FROM contacts", "SELECT count(*) FROM events WHERE type='agent.state'"]) console.log((await db.runAndReadAll(q)).getRows());
