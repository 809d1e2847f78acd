import { DuckDBInstance, DuckDBBlobValue } from '@duckdb/node-api';
const inst = await DuckDBInstance.create('/tmp/scratch-del.duckdb');
const db = await inst.connect();
await db.run(`CREATE OR REPLACE TABLE contacts AS SELECT 'c-' || i AS contact_id, '2026-12-05' AS day, 'q' || (i % 500) AS queue, (hash('c-' || i) >> 11)::BIGINT AS contact_key, repeat('x', 200) AS fold FROM range(2000000) t(i)`);
await db.run('CHECKPOINT');
const b = (x: unknown) => new DuckDBBlobValue(Buffer.from(JSON.stringify(x)));
for (let round = 0; round < 4; round++) {
  for (const n of [1000, 5000]) {
    const ids = Array.from({ length: n }, (_, j) => `c-${Math.floor(Math.random() * 2000000)}`);
    let t = performance.now();
    await db.run(`DELETE FROM contacts WHERE day >= $1 AND contact_id IN (SELECT unnest(from_json(decode($2), '["VARCHAR"]')))`, ['2026-12-03', b(ids)]);
    const del = performance.now() - t;
    const keys = (await (await db.runAndReadAll(`SELECT list((hash(x) >> 11)::BIGINT) FROM (SELECT unnest(from_json(decode($1), '["VARCHAR"]')) x)`, [b(ids)])).getRows())[0][0];
    const ids2 = Array.from({ length: n }, (_, j) => `c-${Math.floor(Math.random() * 2000000)}`);
    const keyRows = (await (await db.runAndReadAll(`SELECT list((hash(x) >> 11)::BIGINT)::VARCHAR FROM (SELECT unnest(from_json(decode($1), '["VARCHAR"]')) x)`, [b(ids2)])).getRows())[0][0] as string;
    t = performance.now();
    await db.run(`DELETE FROM contacts WHERE day >= $1 AND contact_key IN (SELECT unnest(from_json(decode($2), '["BIGINT"]'))) AND contact_id IN (SELECT unnest(from_json(decode($3), '["VARCHAR"]')))`, ['2026-12-03', new DuckDBBlobValue(Buffer.from(keyRows)), b(ids2)]);
    console.log(n, 'delete by id ms', del.toFixed(0), 'by key+id ms', (performance.now() - t).toFixed(0));
  }
}
