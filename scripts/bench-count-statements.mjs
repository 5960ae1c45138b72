// Loaded into `clarus serve` by bench/images-cost.bench.ts (node --import): counts the statements that
// node-postgres sends, per database; on SIGUSR2 writes the counts as JSON to BENCH_STATEMENTS_FILE.
// A measuring aid only: it changes nothing of what is sent.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const pg = require('pg');
const counts = {};
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function countedQuery(...args) {
  const database = this.connectionParameters?.database ?? '?';
  counts[database] = (counts[database] ?? 0) + 1;
  return query.apply(this, args);
};
process.on('SIGUSR2', () => writeFileSync(process.env.BENCH_STATEMENTS_FILE ?? '/dev/null', JSON.stringify(counts)));
