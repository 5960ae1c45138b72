import { sql } from 'kysely';
import type { Databases } from './open-databases.ts';

async function reachable(run: () => Promise<unknown>): Promise<boolean> {
  try {
    await run();
    return true;
  } catch {
    return false;
  }
}

/** MON-2 readiness: both the main and the audit database answer a trivial query. */
export async function checkDatabases(databases: Pick<Databases, 'main' | 'audit'>): Promise<{ database: boolean; auditDatabase: boolean }> {
  const [database, auditDatabase] = await Promise.all([
    reachable(() => sql`select 1`.execute(databases.main)),
    reachable(() => sql`select 1`.execute(databases.audit)),
  ]);
  return { database, auditDatabase };
}
