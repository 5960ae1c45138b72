import { useEffect, useState } from 'react';
import { type ApiError, toApiError } from '../../api/errors';
import type { SecurityEvent } from '../../api/types';
import { listSecurityEvents } from '../../api/users';
import { ErrorMessage } from '../../components/ErrorMessage';
import { formatDateTime } from '../../format';

/** Recent security events; reloaded when `version` changes (after an admin action), never polled. */
export function SecurityEvents({ version }: { version: number }) {
  const [events, setEvents] = useState<SecurityEvent[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    let current = true;
    listSecurityEvents().then(
      (found) => {
        if (!current) return;
        setEvents(found);
        setError(null);
      },
      (caught: unknown) => current && setError(toApiError(caught)),
    );
    return () => {
      current = false;
    };
  }, [version]);

  return (
    <section className="panel" aria-labelledby="events-title">
      <h2 id="events-title">Recent security events</h2>
      <ErrorMessage error={error} />
      {events === null && error === null && <p role="status">Loading events…</p>}
      {events !== null && events.length === 0 && <p>No security events recorded.</p>}
      {events !== null && events.length > 0 && (
        <table className="table" data-testid="security-events">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Severity</th>
              <th scope="col">Event</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            {events.map((event) => (
              <tr key={event.id}>
                <td>{formatDateTime(event.at)}</td>
                <td>
                  <span className={`badge badge-severity-${event.severity.toLowerCase()}`}>{event.severity}</span>
                </td>
                <td>
                  <code>{event.kind}</code>
                </td>
                <td>{event.outcome ?? '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
