import { useEffect, useState } from 'react';
import { type ApiError, toApiError } from '../../api/errors';
import { type Consent, type ConsentDecision, type ConsentPurpose, type ConsentStatus, getConsents, recordConsent } from '../../api/research';
import { ErrorMessage } from '../../components/ErrorMessage';
import { formatDateTime } from '../../format';
import { useAction } from '../../hooks/useAction';
import { useMe } from '../../session/SessionContext';
import { actorName } from '../research/researchFormat';

export const purposeLabels: Record<ConsentPurpose, string> = {
  research: 'Research (de-identified exports)',
  'clinical-ai': 'Clinical AI analysis',
};

/** A status in words, with the badge tone that shows it; `unknown` reads as what it means: no consent. */
export const consentLabels: Record<ConsentStatus, { label: string; tone: string }> = {
  granted: { label: 'Granted', tone: 'badge-ok' },
  refused: { label: 'Refused', tone: 'badge-danger' },
  withdrawn: { label: 'Withdrawn', tone: 'badge-danger' },
  unknown: { label: 'Not recorded (no consent)', tone: 'badge-neutral' },
};

const decisions: { status: ConsentDecision; label: string }[] = [
  { status: 'granted', label: 'Granted' },
  { status: 'refused', label: 'Refused' },
  { status: 'withdrawn', label: 'Withdrawn' },
];

/**
 * The patient's consent per purpose (PRIV-1): the latest decision, who recorded it and when. With
 * `canManage` (Administrators, Clinicians, Technicians) a new decision can be recorded; decisions
 * are appended on the server, so the history stays in the audit log.
 */
export function ConsentSection({ patientId, canManage }: { patientId: string; canManage: boolean }) {
  const [consents, setConsents] = useState<Consent[] | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const recording = useAction();
  const [saved, setSaved] = useState<string | null>(null);
  const me = useMe();

  useEffect(() => {
    let current = true;
    getConsents(patientId).then(
      (found) => current && setConsents(found),
      (caught: unknown) => current && setLoadError(toApiError(caught)),
    );
    return () => {
      current = false;
    };
  }, [patientId]);

  async function record(purpose: ConsentPurpose, status: ConsentDecision): Promise<void> {
    setSaved(null);
    const ok = await recording.run(async () => setConsents(await recordConsent(patientId, purpose, status)));
    if (ok) setSaved(`${purposeLabels[purpose]}: ${consentLabels[status].label.toLowerCase()} recorded.`);
  }

  return (
    <section className="panel" aria-labelledby="consent-title" data-testid="consent-section">
      <h2 id="consent-title">Consent</h2>
      <p className="muted">Without a recorded grant, the patient’s images are not exported for research nor analysed by AI.</p>
      <ErrorMessage error={loadError ?? recording.error} />
      {consents === null && loadError === null && <p role="status">Loading the consent…</p>}
      {consents !== null && (
        <ul className="item-list consent-list">
          {consents.map((consent) => {
            const shown = consentLabels[consent.status];
            return (
              <li key={consent.purpose} data-testid="consent-row" data-purpose={consent.purpose} data-status={consent.status}>
                <span>
                  <strong id={`consent-${consent.purpose}`}>{purposeLabels[consent.purpose]}</strong>{' '}
                  <span className={`badge ${shown.tone}`} data-testid="consent-status">{shown.label}</span>
                  {consent.recordedAt !== null && (
                    <span className="muted" data-testid="consent-recorded">
                      {' '}· by {actorName(consent.recordedBy, me.user.id)} on {formatDateTime(consent.recordedAt)}
                    </span>
                  )}
                </span>
                {canManage && (
                  <span className="row-actions" role="group" aria-label={`Record ${purposeLabels[consent.purpose]} consent`}>
                    {decisions.map(({ status, label }) => (
                      <button key={status} type="button" className="button button-small" disabled={recording.pending || consent.status === status}
                        onClick={() => void record(consent.purpose, status)} data-testid={`consent-${status}`}>
                        {label}
                      </button>
                    ))}
                  </span>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <p role="status" className="status-line muted" data-testid="consent-saved">{saved}</p>
    </section>
  );
}
