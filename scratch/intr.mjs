import { DuckDBInstance } from '@duckdb/node-api';
const inst = await DuckDBInstance.create(':memory:');
const db = await inst.connect();
await db.run('BEGIN TRANSACTION');
await db.run('CREATE TABLE t AS SELECT range AS i FROM range(10)');
db.interrupt();
try { console.log('after idle interrupt', (await db.runAndReadAll('SELECT count(*) FROM t')).getRows()); } catch (e) { console.log('idle interrupt hit next query:', e.message); }
const p = db.run('CREATE TABLE u AS SELECT count(*) FROM range(3000000000)');
setTimeout(() => db.interrupt(), 200);
try { await p; console.log('big finished'); } catch (e) { console.log('running interrupted:', e.message); }
try { await db.run('ROLLBACK'); console.log('rollback ok'); } catch (e) { console.log('rollback failed', e.message); }
try { console.log((await db.runAndReadAll("SELECT count(*) FROM duckdb_tables() WHERE table_name IN ('t','u')")).getRows()); } catch (e) { console.log('after', e.message); }
