// Preloaded (`node --import`) into the `autod process` that bench/sql-replay.mjs runs: records every statement the
// process runs through better-sqlite3 (the SQL text, the method — run/all/get/iterate/exec — and the parameters), in
// order, and writes them (v8-serialized) to $AUTOD_BENCH_SQL_TRACE at exit. Patches the driver's Statement and
// Database prototypes, resolved the way the CLI resolves the driver.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { serialize } from 'node:v8';

const out = process.env['AUTOD_BENCH_SQL_TRACE'];
const cli = process.env['AUTOD_BENCH_SQL_TRACE_FROM'];
if (out && cli) {
  const Database = createRequire(cli)('better-sqlite3');
  const trace = [];
  const probe = new Database(':memory:');
  const Statement = probe.prepare('SELECT 1').constructor;
  probe.close();
  for (const method of ['run', 'all', 'get', 'iterate']) {
    const original = Statement.prototype[method];
    Statement.prototype[method] = function (...params) {
      trace.push({ method, sql: this.source, params });
      return original.apply(this, params);
    };
  }
  const exec = Database.prototype.exec;
  Database.prototype.exec = function (sql) {
    trace.push({ method: 'exec', sql, params: [] });
    return exec.call(this, sql);
  };
  process.on('exit', () => writeFileSync(out, serialize(trace)));
}
