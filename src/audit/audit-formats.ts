import type { AuditEntry } from './audit-entry.ts';

/**
 * Exports of audit entries (AUD-4): FHIR R4 AuditEvent (http://hl7.org/fhir/R4/auditevent.html) in a
 * collection Bundle, and CSV. Codes: event type from DICOM PS3.16 CID 400 "Audit Event ID"
 * (110110 Patient Record, 110114 User Authentication, 110100 Application Activity); outcome from the
 * FHIR AuditEventOutcome value set (0 success, 4 minor failure, 8 serious failure).
 */
function eventType(action: string): { code: string; display: string } {
  if (action.startsWith('patient.') || action.startsWith('care-team.')) return { code: '110110', display: 'Patient Record' };
  if (action.startsWith('auth.')) return { code: '110114', display: 'User Authentication' };
  return { code: '110100', display: 'Application Activity' };
}

function actionCode(action: string): 'C' | 'R' | 'U' | 'D' | 'E' {
  if (/\.(create|invite|assign)$/.test(action)) return 'C';
  if (/\.(read|search|disclosures|export)$/.test(action)) return 'R';
  if (/\.(update|change|roles-change|enable|disable|break-glass)$/.test(action)) return 'U';
  if (/\.(remove|revoke)$/.test(action)) return 'D';
  return 'E';
}

const outcomeCode = { success: '0', failure: '4', denied: '4', error: '8' } as const;

export function toFhirAuditEvent(entry: AuditEntry): Record<string, unknown> {
  return {
    resourceType: 'AuditEvent',
    id: String(entry.seq),
    type: { system: 'http://dicom.nema.org/resources/ontology/DCM', ...eventType(entry.action) },
    subtype: [{ system: 'urn:clarus:audit-action', code: entry.action }],
    action: actionCode(entry.action),
    recorded: entry.at.toISOString(),
    outcome: outcomeCode[entry.outcome],
    agent: [{
      type: { text: entry.actorKind },
      who: entry.actorId ? { identifier: { system: `urn:clarus:${entry.actorKind}`, value: entry.actorId } } : { display: entry.actorKind },
      requestor: true,
      ...(entry.sourceAddress ? { network: { address: entry.sourceAddress, type: '2' } } : {}),
    }],
    source: { observer: { display: 'Clarus' }, ...(entry.requestId ? { site: entry.requestId } : {}) },
    entity: [
      ...(entry.patientId ? [{ what: { reference: `Patient/${entry.patientId}` }, type: { system: 'http://terminology.hl7.org/CodeSystem/audit-entity-type', code: '1', display: 'Person' } }] : []),
      ...(entry.resourceId && entry.resourceId !== entry.patientId ? [{ what: { identifier: { system: `urn:clarus:${entry.resourceType ?? 'resource'}`, value: entry.resourceId } } }] : []),
    ],
  };
}

export function toFhirBundle(entries: AuditEntry[], at: Date): Record<string, unknown> {
  return { resourceType: 'Bundle', type: 'collection', timestamp: at.toISOString(), total: entries.length, entry: entries.map((e) => ({ resource: toFhirAuditEvent(e) })) };
}

/** A CSV cell: quoted, and defused against spreadsheet formula injection (OWASP "CSV Injection"). */
function cell(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  const defused = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return `"${defused.replaceAll('"', '""')}"`;
}

export const csvColumns = ['seq', 'at', 'actorKind', 'actorId', 'action', 'resourceType', 'resourceId', 'patientId', 'outcome', 'sourceAddress', 'requestId'] as const;

export function toCsv(entries: AuditEntry[]): string {
  const lines = [csvColumns.join(',')];
  for (const e of entries) {
    lines.push([e.seq, e.at.toISOString(), e.actorKind, e.actorId, e.action, e.resourceType, e.resourceId, e.patientId, e.outcome, e.sourceAddress, e.requestId].map(cell).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
