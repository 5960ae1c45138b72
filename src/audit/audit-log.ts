import type { AuditDb } from '../data/connections.ts';
import { auditRepository, type AuditFrontier } from '../data/repositories/audit.repository.ts';
import type { AuditSigner } from '../crypto/audit-signer.ts';
import { checkpointStatement, entryLeafHash, type AuditEntry, type AuditEntryInput } from './audit-entry.ts';
import { nodeHash, rangeHash } from './merkle.ts';

interface Pending {
  input: AuditEntryInput;
  resolve: (entry: AuditEntry) => void;
  reject: (error: unknown) => void;
}

/** At most this many entries share one commit; the next batch forms while one commits. */
const MAX_BATCH = 1000;

/**
 * The append-only audit log (AUD-2) with group commit: concurrent appends are gathered and written
 * in one transaction, and each caller's promise resolves only when its entry is durable. A signed
 * checkpoint is made at least every `checkpointMs` or every 1,000 entries.
 */
export class AuditLog {
  private pending: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private sinceCheckpoint = 0;
  private timer: NodeJS.Timeout | undefined;
  private checkpointing: Promise<void> | undefined;
  /**
   * The tree's right edge after this process's last append: the next append and checkpoint take the
   * hashes they need from it instead of reading them (the repository checks that the log has not
   * grown meanwhile, e.g. by another instance, before trusting it).
   */
  private frontier: AuditFrontier | undefined;

  constructor(private readonly db: AuditDb, private readonly clock: () => Date, private readonly signer: AuditSigner, private readonly checkpointMs: number) {}

  /** Starts the periodic checkpoints (the server does; CLI commands need not). */
  start(): void {
    this.timer ??= setInterval(() => void this.checkpoint().catch(() => undefined), this.checkpointMs);
    this.timer.unref();
  }

  /** Stops the timer and waits for pending appends and a running checkpoint to finish. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flushing;
    await this.checkpointing;
    // Sign what was appended since the last checkpoint, so that a stop leaves nothing unprotected.
    await this.checkpoint().catch(() => undefined);
  }

  /** Appends one entry; resolves once it is durable, rejects if the audit database cannot take it. */
  append(input: AuditEntryInput): Promise<AuditEntry> {
    return new Promise((resolve, reject) => {
      this.pending.push({ input, resolve, reject });
      this.flushing ??= new Promise<void>((done) => setImmediate(() => void this.flush().finally(done)));
    });
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, MAX_BATCH);
      try {
        const entries = await auditRepository.append(this.db, batch.map((p) => p.input), this.clock(), entryLeafHash, nodeHash, this.frontier);
        this.frontier = entries.frontier;
        batch.forEach((p, i) => p.resolve(entries[i] as AuditEntry));
        this.sinceCheckpoint += entries.length;
      } catch (error) {
        for (const p of batch) p.reject(error);
      }
    }
    this.flushing = undefined;
    if (this.sinceCheckpoint >= MAX_BATCH) void this.checkpoint().catch(() => undefined);
  }

  /** Signs a checkpoint of the current tree if it grew since the last one. */
  checkpoint(): Promise<void> {
    this.checkpointing ??= (async () => {
      try {
        this.sinceCheckpoint = 0;
        await auditRepository.underAppendLock(this.db, async (locked) => {
          const size = await auditRepository.size(locked);
          const latest = await auditRepository.latestCheckpoint(locked);
          if (size === 0 || (latest && latest.treeSize >= size)) return;
          const edge = this.frontier?.size === size ? this.frontier.hashes : undefined;
          const rootHash = await rangeHash(0, size, (level, index) => {
            const known = edge?.get(`${level}:${index}`);
            return known ? Promise.resolve(known) : auditRepository.subtree(locked, level, index);
          });
          const at = this.clock();
          const signature = this.signer.sign(checkpointStatement(size, rootHash, at));
          await auditRepository.addCheckpoint(locked, { treeSize: size, rootHash, at, keyId: this.signer.keyId, signature });
        });
      } finally {
        this.checkpointing = undefined;
      }
    })();
    return this.checkpointing;
  }
}
