import type { AuditDb } from '../data/connections.ts';
import { auditRepository } from '../data/repositories/audit.repository.ts';
import { verifyCheckpointSignature } from '../crypto/audit-signer.ts';
import { checkpointStatement, entryLeafHash } from './audit-entry.ts';
import { CompactTree } from './compact-tree.ts';

export interface VerificationReport {
  ok: boolean;
  entries: number;
  checkpoints: number;
  /** The first problem, precisely: which entry or which checkpoint, and what is wrong. */
  problem: string | null;
  lastVerifiedCheckpoint: number | null;
}

/**
 * Recomputes the whole log (AUD-2): every entry's leaf hash from its fields, gapless sequence numbers,
 * the Merkle root at every checkpoint and every checkpoint's signature. Catches an edited field, a
 * deleted, inserted or reordered entry, a truncated tail and a forged checkpoint.
 */
export async function verifyAuditLog(db: AuditDb, publicKeyPem: string, onProgress?: (done: number, total: number) => void): Promise<VerificationReport> {
  const checkpoints = await auditRepository.checkpoints(db);
  const total = await auditRepository.size(db);
  const tree = new CompactTree();
  let next = 0;
  let cp = 0;
  let lastVerified: number | null = null;
  const fail = (problem: string): VerificationReport => ({ ok: false, entries: next, checkpoints: checkpoints.length, problem, lastVerifiedCheckpoint: lastVerified });
  const checkCheckpointsAt = (size: number): string | undefined => {
    while (cp < checkpoints.length && (checkpoints[cp]?.treeSize ?? 0) === size) {
      const c = checkpoints[cp] as (typeof checkpoints)[number];
      if (!tree.root().equals(c.rootHash)) return `checkpoint at tree size ${size} does not match the entries (root hash differs)`;
      if (!verifyCheckpointSignature(publicKeyPem, checkpointStatement(c.treeSize, c.rootHash, c.at), c.signature)) return `checkpoint at tree size ${size} has an invalid signature`;
      lastVerified = size;
      cp += 1;
    }
    return undefined;
  };
  const pageSize = 10_000;
  // Read the next page while this one is hashed: reading and hashing take about as long each.
  const fetchPage = (from: number) => {
    const request = auditRepository.page(db, from, pageSize);
    // A verification that stops early leaves one read unconsumed: it must not become an unhandled rejection.
    request.catch(() => undefined);
    return request;
  };
  let pending = fetchPage(0);
  for (;;) {
    const page = await pending;
    if (page.length === 0) break;
    pending = fetchPage((page.at(-1)?.seq ?? next) + 1);
    for (const entry of page) {
      if (entry.seq !== next) return fail(`entry ${next} is missing (the log jumps from ${next - 1} to ${entry.seq})`);
      if (!entryLeafHash(entry).equals(entry.leafHash)) return fail(`entry ${entry.seq} was altered (its content does not match its leaf hash)`);
      tree.append(entry.leafHash);
      next += 1;
      const problem = checkCheckpointsAt(next);
      if (problem) return fail(problem);
    }
    onProgress?.(next, total);
  }
  if (cp < checkpoints.length) return fail(`checkpoint at tree size ${checkpoints[cp]?.treeSize} covers entries that are missing (the log ends at ${next})`);
  return { ok: true, entries: next, checkpoints: checkpoints.length, problem: null, lastVerifiedCheckpoint: lastVerified };
}
