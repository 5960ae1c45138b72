import { pendingObjectRepository } from '../../data/repositories/pending-object.repository.ts';
import type { UnitOfWork } from '../../data/unit-of-work.ts';
import type { PatientObjects } from '../patient-objects.ts';

/**
 * ING-7: an object whose announcement outlived its upload was never indexed (the process died, or
 * the index transaction failed): it is removed, then its announcement. Announcements younger than
 * `olderThanSeconds` may belong to uploads still running in another process, and are left alone.
 */
export class ObjectJanitor {
  constructor(
    private readonly uow: UnitOfWork,
    private readonly objects: PatientObjects,
    private readonly clock: () => Date,
    /** Removes expired resumable-upload sessions with their chunks (their chunks are not pending while the session lives). */
    private readonly expiredUploads: () => Promise<number> = () => Promise.resolve(0),
  ) {}

  async sweep(olderThanSeconds: number): Promise<number> {
    const cutoff = new Date(this.clock().getTime() - olderThanSeconds * 1000);
    let removed = await this.expiredUploads();
    for (;;) {
      const stale = await this.uow.run(null, (tx) => pendingObjectRepository.olderThan(tx, cutoff, 500));
      for (const { id } of stale) {
        if (await this.objects.remove(id)) removed += 1;
        await this.uow.run(null, (tx) => pendingObjectRepository.settle(tx, id));
      }
      if (stale.length < 500) return removed;
    }
  }
}
