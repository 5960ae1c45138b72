import { ClarusError } from '../domain/error-catalog.ts';
import type { AuditDb } from '../data/connections.ts';
import { auditRepository, type StoredCheckpoint } from '../data/repositories/audit.repository.ts';
import type { AuditSigner } from '../crypto/audit-signer.ts';
import type { AuditEntry } from '../audit/audit-entry.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import { verifyAuditLog, type VerificationReport } from '../audit/audit-verifier.ts';
import { consistencyProof, inclusionProof } from '../audit/merkle.ts';
import type { Principal, RequestOrigin, ServiceContext } from './context.ts';

export interface AuditFilter {
  actorId?: string | undefined;
  patientId?: string | undefined;
  action?: string | undefined;
  outcome?: AuditEntry['outcome'] | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  beforeSeq?: number | undefined;
  limit: number;
}

/** Review, proofs and verification of the audit log (AUD-2, AUD-4). */
export class AuditService {
  constructor(private readonly ctx: ServiceContext, private readonly db: AuditDb, private readonly log: AuditLog, private readonly signer: AuditSigner) {}

  /** An Administrator's search of their tenant's entries, newest first (keyset paging by `beforeSeq`). */
  async search(principal: Principal, filter: AuditFilter, origin: RequestOrigin): Promise<AuditEntry[]> {
    const entries = await auditRepository.search(this.db, principal.tenantId, filter);
    await this.ctx.audit.recordFor(principal, origin, { action: 'audit.search', outcome: 'success', details: { filters: Object.keys(filter).filter((k) => filter[k as keyof AuditFilter] !== undefined).join(',') } });
    return entries;
  }

  /** Accounting of disclosures (AUD-4): who accessed one patient's data, over a period. */
  async disclosures(principal: Principal, patientId: string, from: Date | undefined, to: Date | undefined, origin: RequestOrigin): Promise<AuditEntry[]> {
    const entries = await auditRepository.search(this.db, principal.tenantId, { patientId, from, to, limit: 10_000 });
    await this.ctx.audit.recordFor(principal, origin, { action: 'audit.disclosures', outcome: 'success', resourceType: 'patient', resourceId: patientId, patientId });
    return entries;
  }

  /** Entries for an export: recorded once, as the export itself (not also as a search). */
  async exportEntries(principal: Principal, filter: AuditFilter, format: string, origin: RequestOrigin): Promise<AuditEntry[]> {
    const entries = await auditRepository.search(this.db, principal.tenantId, filter);
    await this.recordExport(principal, format, entries.length, origin);
    return entries;
  }

  async recordExport(principal: Principal, format: string, count: number, origin: RequestOrigin): Promise<void> {
    await this.ctx.audit.recordFor(principal, origin, { action: 'audit.export', outcome: 'success', details: { format, count } });
  }

  publicKey(): { keyId: string; publicKeyPem: string; algorithm: 'Ed25519' } {
    return { keyId: this.signer.keyId, publicKeyPem: this.signer.publicKeyPem(), algorithm: 'Ed25519' };
  }

  async status(): Promise<{ treeSize: number; latestCheckpoint: StoredCheckpoint | null; lastVerification: { at: Date; treeSize: number; ok: boolean; problem: string | null } | null }> {
    const [treeSize, latestCheckpoint, lastVerification] = await Promise.all([
      auditRepository.size(this.db), auditRepository.latestCheckpoint(this.db), auditRepository.lastVerification(this.db),
    ]);
    return { treeSize, latestCheckpoint: latestCheckpoint ?? null, lastVerification: lastVerification ?? null };
  }

  async checkpoints(): Promise<StoredCheckpoint[]> {
    return auditRepository.checkpoints(this.db);
  }

  /** Inclusion proof of entry `seq` in the tree of a checkpoint's size (RFC 9162 §2.1.3). */
  async inclusion(seq: number, treeSize: number): Promise<{ seq: number; treeSize: number; leafHash: Buffer; proof: Buffer[] }> {
    const entry = await auditRepository.entry(this.db, seq);
    if (!entry || seq >= treeSize || treeSize > (await auditRepository.size(this.db))) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
    const proof = await inclusionProof(seq, treeSize, (level, index) => auditRepository.subtree(this.db, level, index));
    return { seq, treeSize, leafHash: entry.leafHash, proof };
  }

  /** Consistency proof between two tree sizes (RFC 9162 §2.1.4). */
  async consistency(from: number, to: number): Promise<{ from: number; to: number; proof: Buffer[] }> {
    if (from < 1 || from > to || to > (await auditRepository.size(this.db))) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
    return { from, to, proof: await consistencyProof(from, to, (level, index) => auditRepository.subtree(this.db, level, index)) };
  }

  /**
   * The whole log for an auditor's own tools: a header with the public key, every entry with its
   * leaf hash, every checkpoint (docs/audit-log.md describes the format).
   */
  async exportAll(write: (line: unknown) => Promise<void>, onProgress?: (done: number, total: number) => void): Promise<{ entries: number; checkpoints: number }> {
    await this.log.checkpoint();
    // Checkpoints first: one signed while entries are read would cover entries not in the file.
    const checkpoints = await auditRepository.checkpoints(this.db);
    const total = await auditRepository.size(this.db);
    await write({ type: 'header', format: 'clarus-audit-export/v1', algorithm: 'Ed25519', keyId: this.signer.keyId, publicKeyPem: this.signer.publicKeyPem() });
    let next = 0;
    for (;;) {
      const page = await auditRepository.page(this.db, next, 5000);
      if (page.length === 0) break;
      for (const e of page) {
        const { leafHash, ...entry } = e;
        await write({ type: 'entry', ...entry, at: entry.at.toISOString(), leafHash: leafHash.toString('base64') });
      }
      next = (page.at(-1)?.seq ?? next) + 1;
      onProgress?.(next, total);
    }
    for (const c of checkpoints.filter((cp) => cp.treeSize <= next)) await write({ type: 'checkpoint', treeSize: c.treeSize, rootHash: c.rootHash.toString('base64'), at: c.at.toISOString(), keyId: c.keyId, signature: c.signature.toString('base64') });
    return { entries: next, checkpoints: checkpoints.length };
  }

  /**
   * Verifies the whole log, records the run, and raises a Critical security event on failure (for
   * every tenant's Administrators: the event has no tenant, it concerns the whole system).
   */
  async verify(onProgress?: (done: number, total: number) => void): Promise<VerificationReport> {
    await this.log.checkpoint();
    const report = await verifyAuditLog(this.db, this.signer.publicKeyPem(), onProgress);
    await auditRepository.recordVerification(this.db, { at: this.ctx.clock(), treeSize: report.entries, ok: report.ok, problem: report.problem });
    await this.ctx.audit.record({ tenantId: null, kind: 'system', id: null }, { sourceAddress: null, requestId: null }, { action: 'audit.verify', outcome: report.ok ? 'success' : 'failure', details: { entries: report.entries, checkpoints: report.checkpoints } });
    if (!report.ok) {
      await this.ctx.securityEvents.record({ kind: 'audit.verification-failed', tenantId: null, details: { entries: report.entries } });
    }
    return report;
  }
}
