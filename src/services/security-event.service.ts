import type { UnitOfWork } from '../data/unit-of-work.ts';
import { securityEventRepository, type SecurityEventRecord } from '../data/repositories/security-event.repository.ts';
import { securityEventKinds, type SecurityEventKind } from '../domain/security-events.ts';
import type { AuditRecorder } from './audit-recorder.ts';

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
  constructor(
    private readonly uow: UnitOfWork,
    private readonly clock: () => Date,
    private readonly log: (event: object) => void,
    /** Events are also written to the audit log (AUD-1: security events are audited). */
    private readonly audit?: AuditRecorder,
  ) {}

  async record(input: SecurityEventInput): Promise<void> {
    const severity = securityEventKinds[input.kind];
    const event = {
      tenantId: input.tenantId, at: this.clock(), severity, kind: input.kind, actorId: input.actorId ?? null,
      subjectId: input.subjectId ?? null, sourceAddress: input.sourceAddress ?? null, requestId: input.requestId ?? null,
      details: input.details ?? {},
    };
    await this.uow.run(input.tenantId, (tx) => securityEventRepository.insert(tx, event));
    await this.audit?.record({ tenantId: event.tenantId, kind: event.actorId ? 'user' : 'system', id: event.actorId }, { sourceAddress: event.sourceAddress, requestId: event.requestId }, {
      action: 'security.event', outcome: 'success', resourceType: 'security-event', resourceId: event.subjectId, details: { kind: input.kind, severity },
    });
    this.log({ securityEvent: input.kind, severity, tenantId: input.tenantId, requestId: input.requestId });
  }

  listRecent(tenantId: string, limit = 100): Promise<SecurityEventRecord[]> {
    return this.uow.read(tenantId, (tx) => securityEventRepository.listRecent(tx, limit));
  }
}
