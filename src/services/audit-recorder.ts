import { auditActions, type AuditAction } from '../domain/audit-actions.ts';
import { ClarusError } from '../domain/error-catalog.ts';
import type { AuditLog } from '../audit/audit-log.ts';
import type { AuditOutcome } from '../audit/audit-entry.ts';
import type { Principal, RequestOrigin } from './principal.ts';

export interface AuditFacts {
  action: AuditAction;
  outcome: AuditOutcome;
  resourceType?: string;
  resourceId?: string | null;
  patientId?: string | null;
  /** Ids, counts and field names only: never PHI (AUD-3). */
  details?: Record<string, string | number | boolean>;
}

export interface Actor {
  tenantId: string | null;
  kind: 'user' | 'service' | 'system' | 'anonymous';
  id: string | null;
}

export function actorOf(principal: Principal | undefined | null): Actor {
  if (!principal) return { tenantId: null, kind: 'anonymous', id: null };
  return { tenantId: principal.tenantId, kind: principal.kind, id: principal.userId };
}

/**
 * Writes audit entries for services (AUD-1). Fail-closed actions throw CLARUS_ERR_AUDIT_UNAVAILABLE
 * when their entry cannot be made durable, so the caller's action is not reported as done.
 */
export class AuditRecorder {
  constructor(private readonly log: AuditLog, private readonly onUnavailable: (action: AuditAction) => void) {}

  async record(actor: Actor, origin: RequestOrigin, facts: AuditFacts): Promise<void> {
    try {
      await this.log.append({
        tenantId: actor.tenantId, actorKind: actor.kind, actorId: actor.id, action: facts.action,
        resourceType: facts.resourceType ?? null, resourceId: facts.resourceId ?? null, patientId: facts.patientId ?? null,
        outcome: facts.outcome, sourceAddress: origin.sourceAddress, requestId: origin.requestId, details: facts.details ?? {},
      });
    } catch {
      this.onUnavailable(facts.action);
      if (auditActions[facts.action].failClosed) throw new ClarusError('CLARUS_ERR_AUDIT_UNAVAILABLE');
    }
  }

  /** For a principal's own action. */
  recordFor(principal: Principal, origin: RequestOrigin, facts: AuditFacts): Promise<void> {
    return this.record(actorOf(principal), origin, facts);
  }
}
