import pg from 'pg';
import { startClamd, type ClamdInstance } from './clamd.ts';
import { addUser, newTenantWithAdmin, type SignedInUser } from './journeys.ts';
import { adminUrl } from './test-databases.ts';
import { startTestSystem, type TestSystem } from './test-system.ts';

/** A system with a real clamd, an Administrator, a Technician and a direct database client, as the upload tests need. */
export interface UploadSystem {
  clamd: ClamdInstance;
  system: TestSystem;
  admin: SignedInUser;
  technician: SignedInUser;
  /** The main database as its owner, to count rows the API does not show. */
  db: pg.Client;
  close(): Promise<void>;
}

export async function startUploadSystem(env: Record<string, string>): Promise<UploadSystem> {
  const clamd = await startClamd();
  const system = await startTestSystem({ env: { CLAMD_URL: clamd.url, ...env } });
  const admin = await newTenantWithAdmin(system);
  const technician = await addUser(system, admin, ['Technician']);
  const db = new pg.Client({ connectionString: adminUrl(system.databases.mainName) });
  await db.connect();
  return {
    clamd, system, admin, technician, db,
    async close() {
      await db.end();
      await system.close();
      await clamd.stop();
    },
  };
}
