import type { AuditEntry } from '../../api/audit';
import { formatDateTime } from '../../format';
import { Link } from '../../router/Link';
import { patientPath } from '../../router/paths';
import { detailsText, outcomeBadge } from './auditCatalog';

/** Who acted: the user's e-mail when known, otherwise the id (service accounts…) or the kind of actor. */
export function Actor({ entry, emailOf }: { entry: AuditEntry; emailOf: (id: string) => string | undefined }) {
  if (entry.actorId === null) return <span className="muted">{entry.actorKind}</span>;
  const email = emailOf(entry.actorId);
  if (email !== undefined) return <span>{email}</span>;
  return (
    <span>
      {entry.actorKind !== 'user' && <span className="muted">{entry.actorKind} </span>}
      <code className="audit-id">{entry.actorId}</code>
    </span>
  );
}

interface AuditTableProps {
  entries: readonly AuditEntry[];
  emailOf: (id: string) => string | undefined;
  /** `disclosures`: time, user, action, outcome, source only (the patient is the page's). */
  variant?: 'full' | 'disclosures';
  caption: string;
}

/**
 * Audit entries, newest first. The full variant links each patient id to its page; ids are shown in
 * full (an auditor compares them), wrapped anywhere.
 */
export function AuditTable({ entries, emailOf, variant = 'full', caption }: AuditTableProps) {
  const full = variant === 'full';
  return (
    <div className="table-wrap">
      <table className="table audit-table" data-testid="audit-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">User</th>
            <th scope="col">Action</th>
            <th scope="col">Outcome</th>
            {full && <th scope="col">Resource</th>}
            {full && <th scope="col">Patient</th>}
            <th scope="col">Source address</th>
            {full && <th scope="col">Request id</th>}
          </tr>
        </thead>
        <tbody>
          {entries.map((entry) => {
            const details = detailsText(entry);
            return (
              <tr key={entry.seq} data-testid="audit-row" data-seq={entry.seq} data-action={entry.action}
                data-actor={(entry.actorId !== null && emailOf(entry.actorId)) || (entry.actorId ?? entry.actorKind)}>
                <td className="audit-time">
                  <time dateTime={entry.at}>{formatDateTime(entry.at)}</time>
                </td>
                <td>
                  <Actor entry={entry} emailOf={emailOf} />
                </td>
                <td>
                  <code>{entry.action}</code>
                  {details !== '' && <span className="audit-details">{details}</span>}
                </td>
                <td>
                  <span className={outcomeBadge(entry.outcome)}>{entry.outcome}</span>
                </td>
                {full && (
                  <td>
                    {entry.resourceId === null ? '—' : (
                      <>
                        <span className="muted">{entry.resourceType ?? 'resource'} </span>
                        <code className="audit-id">{entry.resourceId}</code>
                      </>
                    )}
                  </td>
                )}
                {full && (
                  <td>
                    {entry.patientId === null ? '—' : (
                      <Link to={patientPath(entry.patientId)} aria-label={`Open patient ${entry.patientId}`}>
                        <code className="audit-id">{entry.patientId}</code>
                      </Link>
                    )}
                  </td>
                )}
                <td>{entry.sourceAddress ?? '—'}</td>
                {full && <td>{entry.requestId === null ? '—' : <code className="audit-id">{entry.requestId}</code>}</td>}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
