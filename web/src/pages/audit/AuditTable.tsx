import type { AuditEntry } from '../../api/audit';
import { formatDateTime } from '../../format';
import { Link } from '../../router/Link';
import { patientPath } from '../../router/paths';
import { detailsText, outcomeBadge } from './auditCatalog';

/**
 * An id shortened to its first 8 characters to keep rows short; the whole id is in the tooltip, read
 * by screen readers and found by the browser's search.
 */
export function ShortId({ id }: { id: string }) {
  if (id.length <= 12) return <code className="audit-id">{id}</code>;
  return (
    <code className="audit-id" title={id}>
      <span aria-hidden="true">{id.slice(0, 8)}…</span>
      <span className="visually-hidden">{id}</span>
    </code>
  );
}

/** Who acted: the user's e-mail or service account's name when known, otherwise the id, or the kind of actor. */
export function Actor({ entry, nameOf }: { entry: AuditEntry; nameOf: (id: string) => string | undefined }) {
  if (entry.actorId === null) return <span className="muted">{entry.actorKind}</span>;
  const name = nameOf(entry.actorId);
  if (name !== undefined) return <span>{name}</span>;
  return (
    <span>
      {entry.actorKind !== 'user' && <span className="muted">{entry.actorKind} </span>}
      <ShortId id={entry.actorId} />
    </span>
  );
}

interface AuditTableProps {
  entries: readonly AuditEntry[];
  nameOf: (id: string) => string | undefined;
  /** `disclosures`: time, user, action, outcome, source only (the patient is the page's). */
  variant?: 'full' | 'disclosures';
  caption: string;
}

/**
 * Audit entries, newest first. The full variant links each patient id to its page; long ids are
 * shortened on screen (exports carry them whole).
 */
export function AuditTable({ entries, nameOf, variant = 'full', caption }: AuditTableProps) {
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
                data-actor={(entry.actorId !== null && nameOf(entry.actorId)) || (entry.actorId ?? entry.actorKind)}>
                <td className="audit-time">
                  <time dateTime={entry.at}>{formatDateTime(entry.at)}</time>
                </td>
                <td>
                  <Actor entry={entry} nameOf={nameOf} />
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
                        <ShortId id={entry.resourceId} />
                      </>
                    )}
                  </td>
                )}
                {full && (
                  <td>
                    {entry.patientId === null ? '—' : (
                      <Link to={patientPath(entry.patientId)} aria-label={`Open patient ${entry.patientId}`}>
                        <ShortId id={entry.patientId} />
                      </Link>
                    )}
                  </td>
                )}
                <td>{entry.sourceAddress ?? '—'}</td>
                {full && <td>{entry.requestId === null ? '—' : <ShortId id={entry.requestId} />}</td>}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
