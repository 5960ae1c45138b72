import type { RequestOrigin } from './principal.ts';
import type { SecurityEventService } from './security-event.service.ts';

/** 20 refused requests within 5 minutes from one actor look like probing (MON-1 "unusual access patterns"). */
const THRESHOLD = 20;
const WINDOW_MS = 5 * 60_000;

/**
 * Counts refused requests (401, 403, 404) per actor — a user or service account, or the source address
 * when anonymous — and records one Medium security event per burst. Counts live in this process; with
 * several instances each sees its share (the alerting capability moves them to the database).
 */
export class ProbingDetector {
  private readonly refusals = new Map<string, number[]>();

  constructor(private readonly events: SecurityEventService, private readonly clock: () => Date) {}

  async noteRefusal(actor: { tenantId: string | null; id: string | null }, origin: RequestOrigin, status: number): Promise<void> {
    const key = actor.id ?? `address:${origin.sourceAddress ?? 'unknown'}`;
    const now = this.clock().getTime();
    const recent = (this.refusals.get(key) ?? []).filter((t) => now - t < WINDOW_MS);
    recent.push(now);
    this.refusals.set(key, recent);
    if (this.refusals.size > 10_000) this.prune(now);
    if (recent.length !== THRESHOLD) return;
    await this.events.record({
      kind: 'access.probing', tenantId: actor.tenantId, actorId: actor.id, ...origin,
      details: { refusals: THRESHOLD, windowSeconds: WINDOW_MS / 1000, lastStatus: status },
    });
  }

  private prune(now: number): void {
    for (const [key, times] of this.refusals) if (times.every((t) => now - t >= WINDOW_MS)) this.refusals.delete(key);
  }
}
