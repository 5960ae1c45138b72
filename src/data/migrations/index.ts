import type { Migration, MigrationProvider } from 'kysely/migration';
import * as foundation from './main/0001-foundation.ts';
import * as patientsAndAccess from './main/0002-patients-and-access.ts';
import * as encryptionAtRest from './main/0003-encryption-at-rest.ts';
import * as images from './main/0004-images.ts';
import * as dimsePeers from './main/0005-dimse-peers.ts';
import * as deidWorkflow from './main/0006-deid-workflow.ts';
import * as reconciliation from './main/0007-reconciliation.ts';
import * as resumableUploads from './main/0008-resumable-uploads.ts';
import * as auditPlumbing from './audit/0001-audit-plumbing.ts';
import * as auditLog from './audit/0002-audit-log.ts';

/** Versioned migrations, listed in code so that no file-system lookup decides what runs. */
class StaticMigrations implements MigrationProvider {
  constructor(private readonly migrations: Record<string, Migration>) {}
  getMigrations(): Promise<Record<string, Migration>> {
    return Promise.resolve(this.migrations);
  }
}

export const mainMigrations = new StaticMigrations({ '0001-foundation': foundation, '0002-patients-and-access': patientsAndAccess, '0003-encryption-at-rest': encryptionAtRest, '0004-images': images, '0005-dimse-peers': dimsePeers, '0006-deid-workflow': deidWorkflow, '0007-reconciliation': reconciliation, '0008-resumable-uploads': resumableUploads });
export const auditMigrations = new StaticMigrations({ '0001-audit-plumbing': auditPlumbing, '0002-audit-log': auditLog });
