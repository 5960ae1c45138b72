import type { UnitOfWork } from '../data/unit-of-work.ts';
import { securityEventRepository, type SecurityEventRecord } from '../data/repositories/security-event.repository.ts';
import { securityEventKinds, type SecurityEventKind } from '../domain/security-events.ts';

export interface SecurityEventInput {
  kind: SecurityEventKind;
  tenantId: string | null;
  actorId?: string | null;
  subjectId?: string | null;
  sourceAddress?: string | null;
  requestId?: string | null;
  /** Ids and counts only: never PHI, never secrets. */
  details?: Record<string, string | number | boolean>;
}

/**
 * Records classified security events (MON-1) in their own transaction, so that an event survives
 * the rollback of the work that raised it. Alert sinks come with the monitoring capability.
 */
export class SecurityEventService {
  constructor(private readonly uow: UnitOfWork, private readonly clock: () => Date, private readonly log: (event: object) => void) {}

  async record(input: SecurityEventInput): Promise<void> {
    const severity = securityEventKinds[input.kind];
    const event = {
      tenantId: input.tenantId, at: this.clock(), severity, kind: input.kind, actorId: input.actorId ?? null,
      subjectId: input.subjectId ?? null, sourceAddress: input.sourceAddress ?? null, requestId: input.requestId ?? null,
      details: input.details ?? {},
    };
    await this.uow.run(input.tenantId, (tx) => securityEventRepository.insert(tx, event));
    this.log({ securityEvent: input.kind, severity, tenantId: input.tenantId, requestId: input.requestId });
  }

  listRecent(tenantId: string, limit = 100): Promise<SecurityEventRecord[]> {
    return this.uow.read(tenantId, (tx) => securityEventRepository.listRecent(tx, limit));
  }
}
