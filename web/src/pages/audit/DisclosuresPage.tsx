import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { type AuditEntry, exportDisclosures, listDisclosures, type Period } from '../../api/audit';
import { ApiError } from '../../api/errors';
import { AdminOnly } from '../../components/AdminOnly';
import { ErrorMessage } from '../../components/ErrorMessage';
import { useAction } from '../../hooks/useAction';
import { Link } from '../../router/Link';
import { patientPath } from '../../router/paths';
import { fileStamp, isUuid, periodOf } from './auditCatalog';
import { AuditTable } from './AuditTable';
import { ExportButtons } from './ExportButtons';
import { PERIOD_HINT, PeriodFields, type PeriodValues } from './PeriodFields';
import { useDirectory } from './useDirectory';

/**
 * `/patients/:id/disclosures` (Administrator): the accounting of disclosures of one patient — who
 * accessed the patient's data, when, and how it ended — over a period, with FHIR and CSV exports.
 * The patient's name is not loaded: reading it would itself be a disclosure.
 */
export function DisclosuresPage({ patientId }: { patientId: string }) {
  return (
    <AdminOnly title="Accounting of disclosures" permission="audit.read">
      <p>
        <Link to={patientPath(patientId)} data-testid="back-to-patient">← Patient</Link>
      </p>
      {isUuid(patientId) ? (
        <Disclosures patientId={patientId.toLowerCase()} />
      ) : (
        <p className="alert alert-error" role="alert">This address does not name a patient.</p>
      )}
    </AdminOnly>
  );
}

function Disclosures({ patientId }: { patientId: string }) {
  const directory = useDirectory();
  const [values, setValues] = useState<PeriodValues>({ from: '', to: '' });
  const [formError, setFormError] = useState<ApiError | null>(null);
  const [shown, setShown] = useState<{ period: Period; entries: AuditEntry[] } | null>(null);
  const { run, pending, error } = useAction();
  const latest = useRef(0);

  const load = useCallback(async (period: Period): Promise<void> => {
    const ticket = ++latest.current;
    await run(async () => {
      const entries = await listDisclosures(patientId, period);
      if (ticket === latest.current) setShown({ period, entries });
    });
  }, [patientId, run]);

  useEffect(() => {
    void load({});
  }, [load]);

  function submit(event: FormEvent<HTMLFormElement>): void {
    event.preventDefault();
    const period = periodOf(values.from, values.to);
    if (period instanceof ApiError) {
      setFormError(period);
      return;
    }
    setFormError(null);
    void load(period);
  }

  const count = shown?.entries.length ?? 0;
  return (
    <>
      <p className="lead">
        Patient <code data-testid="disclosures-patient">{patientId}</code>: every recorded access to this patient’s data, newest first.
      </p>
      <section className="panel" aria-labelledby="period-title">
        <h2 id="period-title">Period</h2>
        <form onSubmit={submit} noValidate aria-label="Period of the accounting" data-testid="disclosures-filter">
          <ErrorMessage error={formError} fieldNames={['from', 'to']} />
          <div className="form-grid">
            <PeriodFields idPrefix="disclosures" value={values} onChange={setValues} error={formError} />
          </div>
          <p className="hint">{PERIOD_HINT}</p>
          <div className="actions">
            <button type="submit" className="button primary" disabled={pending} data-testid="disclosures-apply">
              {pending ? 'Loading…' : 'Show period'}
            </button>
          </div>
        </form>
      </section>
      <section className="panel" aria-labelledby="disclosures-title">
        <h2 id="disclosures-title">Accesses</h2>
        <ErrorMessage error={error ?? directory.error} />
        {shown === null && error === null && <p role="status">Loading the accounting…</p>}
        {shown !== null && (
          <>
            <div className="results-head">
              <p className="muted" role="status" data-testid="disclosures-summary">
                {count === 0 ? 'No access recorded in this period.' : `${count.toLocaleString()} ${count === 1 ? 'entry' : 'entries'}.`}
              </p>
              <ExportButtons load={(format) => exportDisclosures(patientId, shown.period, format)}
                baseName={`clarus-disclosures-${patientId.slice(0, 8)}-${fileStamp()}`} subject="the accesses of this period" />
            </div>
            {count > 0 && <AuditTable entries={shown.entries} nameOf={directory.nameOf} variant="disclosures" caption="Accesses to this patient’s data, newest first" />}
          </>
        )}
      </section>
    </>
  );
}
