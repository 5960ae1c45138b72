import type { FastifyInstance } from 'fastify';
import type { AuditRecorder } from '../../services/audit-recorder.ts';
import type { ProbingDetector } from '../../services/probing-detector.ts';
import { actorOf } from '../../services/audit-recorder.ts';
import type { AuditOutcome } from '../../audit/audit-entry.ts';

function outcomeOf(status: number): AuditOutcome {
  if (status < 400) return 'success';
  if (status === 401 || status === 403) return 'denied';
  return status >= 500 ? 'error' : 'failure';
}

/**
 * DESIGN.md "Where security lives" 4: a root hook records every API request — route pattern (never
 * the URL with its query), method, status, who, from where, request id — including denied ones.
 * It runs in onSend, before the answer leaves, so that the record is written by the time a client
 * sees the response (best effort: an unavailable audit database does not turn the answer into an
 * error; actions that must fail closed record their own entries in the services).
 */
export function registerRequestAudit(app: FastifyInstance, audit: AuditRecorder, probing: ProbingDetector): void {
  app.addHook('onSend', async (request, reply) => {
    if (!request.url.startsWith('/api/') && !request.url.startsWith('/dicom-web/')) return;
    const actor = actorOf(request.principal);
    const origin = { sourceAddress: request.ip, requestId: request.id };
    if ([401, 403, 404].includes(reply.statusCode)) await probing.noteRefusal({ tenantId: actor.tenantId, id: actor.id }, origin, reply.statusCode);
    await audit.record(actor, origin, {
      action: 'http.request',
      outcome: outcomeOf(reply.statusCode),
      details: { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: reply.statusCode },
    });
  });
}
