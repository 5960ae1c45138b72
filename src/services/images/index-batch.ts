import { pendingObjectRepository } from '../../data/repositories/pending-object.repository.ts';
import type { Tx, UnitOfWork } from '../../data/unit-of-work.ts';

/** What an index work leaves to the end of its transaction (after the rows of every work of a batch). */
export interface IndexSteps {
  /** ING-7: the object indexed in this transaction is no longer pending (one statement for the batch). */
  settle(objectId: string): void;
  /** A durable audit entry that must be in the audit log before the transaction commits (AUD-1). */
  audit(append: () => Promise<void>): void;
}

/** The index work of one stored object: its rows through `tx`; settlement and audit entry through `steps`. */
export type IndexWork<T> = (tx: Tx, steps: IndexSteps) => Promise<T>;

/** Collects the steps of the works of one transaction and runs them last, before its commit. */
class Steps implements IndexSteps {
  private readonly settled: string[] = [];
  private readonly audits: (() => Promise<void>)[] = [];

  settle(objectId: string): void {
    this.settled.push(objectId);
  }

  audit(append: () => Promise<void>): void {
    this.audits.push(append);
  }

  /**
   * The settlements, then every audit entry at once (the audit log's group commit makes them one
   * durable append). Any failure rolls the whole transaction back.
   */
  async finish(tx: Tx): Promise<void> {
    await pendingObjectRepository.settleAll(tx, this.settled);
    const settled = await Promise.allSettled(this.audits.map((append) => append()));
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) throw failed.reason;
  }
}

/**
 * Runs `work` in one transaction of its own (its steps last, then the commit): the per-file path
 * (single uploads, DIMSE, filing from reconciliation) and a batch's fallback.
 */
export function runAlone<T>(uow: UnitOfWork, tenantId: string, work: IndexWork<T>): Promise<T> {
  return uow.run(tenantId, async (tx) => {
    const steps = new Steps();
    const result = await work(tx, steps);
    await steps.finish(tx);
    return result;
  });
}

interface Queued {
  work: IndexWork<unknown>;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** At most this many parts share one index transaction. */
const MAX_BATCH = 64;
/**
 * A batch goes once this many parts wait, or this long after the first one arrived. Nothing of a
 * STOW-RS request is answered before its last part, so waiting costs its earlier parts nothing, and
 * the request says when its remaining parts all wait (`flushNow`) so that the last batch does not.
 */
const GATHER = 16;
const GATHER_MS = 200;

/**
 * Group commit of the index transactions of one STOW-RS request's parts. Each part is scanned,
 * validated, planned (patient match, duplicate check, ING-7 announcement: a transaction of its own)
 * and written as an object on its own; its index work then waits here, and the works that gathered
 * (see GATHER) go in one transaction: every part's rows in turn, then their steps
 * (the settlements of their announcements in one statement, their audit entries as one append of the
 * audit log), then one commit. A part's promise settles only after that commit: nothing is
 * acknowledged before its rows and its audit entry are durable, and a crash before the commit leaves
 * announced objects that the sweep removes.
 *
 * When a part's work fails (a refusal found in the index transaction, a lost race, a database error,
 * a deadlock with another request), the transaction is rolled back before any audit entry was
 * appended, and every part of the batch is indexed again in a transaction of its own, as on the
 * per-file path: a refused part does not take the others with it. A failure of the audit append or
 * of the commit fails the whole batch (fail-closed: none of its parts is acknowledged).
 */
export class IndexBatch {
  private queue: Queued[] = [];
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** A batch should go (full, the timer fired, or flushNow). */
  private due = false;

  constructor(private readonly uow: UnitOfWork, private readonly tenantId: string) {}

  /**
   * Queues one work; it settles once its transaction committed. The batch goes when `GATHER` works
   * wait, when `flushNow` is called (the request has nothing more coming), or `GATHER_MS` after the
   * first of them arrived, whichever is first.
   */
  add<T>(work: IndexWork<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      if (this.queue.length >= GATHER) this.flushNow();
      else this.timer ??= setTimeout(() => this.flushNow(), GATHER_MS);
    });
  }

  /** Indexes what waits without waiting for more (STOW-RS: every remaining part of the request waits here). */
  flushNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.queue.length === 0) return;
    this.due = true;
    // While a batch commits, the next one goes right after it.
    this.flushing ??= new Promise<void>((done) => setImmediate(() => void this.flush().finally(done)));
  }

  private async flush(): Promise<void> {
    try {
      while (this.due && this.queue.length > 0) {
        this.due = false;
        clearTimeout(this.timer);
        this.timer = undefined;
        const batch = this.queue.splice(0, MAX_BATCH);
        await (batch.length === 1 ? this.alone(batch[0] as Queued) : this.together(batch));
        // What arrived meanwhile goes now if it is a full batch; else when the request or the timer says.
        if (this.queue.length >= GATHER) this.due = true;
        else if (this.queue.length > 0) this.timer ??= setTimeout(() => this.flushNow(), GATHER_MS);
      }
    } finally {
      this.flushing = undefined;
    }
  }

  private async alone(entry: Queued): Promise<void> {
    try {
      entry.resolve(await runAlone(this.uow, this.tenantId, entry.work));
    } catch (error) {
      entry.reject(error);
    }
  }

  private async together(batch: readonly Queued[]): Promise<void> {
    let workFailed = false;
    let results: unknown[];
    try {
      results = await this.uow.run(this.tenantId, async (tx) => {
        const steps = new Steps();
        const out: unknown[] = [];
        try {
          for (const entry of batch) out.push(await entry.work(tx, steps));
        } catch (error) {
          workFailed = true;
          throw error;
        }
        await steps.finish(tx);
        return out;
      });
    } catch (error) {
      if (!workFailed) {
        for (const entry of batch) entry.reject(error);
        return;
      }
      // Rolled back before any step: each work again in a transaction of its own.
      for (const entry of batch) await this.alone(entry);
      return;
    }
    batch.forEach((entry, i) => entry.resolve(results[i]));
  }
}
