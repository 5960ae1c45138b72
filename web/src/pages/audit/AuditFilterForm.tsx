import { useState, type FormEvent } from 'react';
import type { AuditFilter } from '../../api/audit';
import { ApiError, clientError } from '../../api/errors';
import { ErrorMessage } from '../../components/ErrorMessage';
import { SelectField } from '../../components/SelectField';
import { TextField } from '../../components/TextField';
import { AUDIT_ACTIONS, AUDIT_OUTCOMES, isOutcome, isUuid, periodOf } from './auditCatalog';
import { PERIOD_HINT, PeriodFields, type PeriodValues } from './PeriodFields';
import type { KnownActor } from './useDirectory';

interface AuditFilterFormProps {
  /** Users and service accounts to choose from. */
  actors: readonly KnownActor[];
  /** Runs the search with the checked filter. */
  onApply: (filter: AuditFilter) => void;
  pending: boolean;
}

const actionOptions = AUDIT_ACTIONS.map((action) => ({ value: action, label: action }));
const outcomeOptions = AUDIT_OUTCOMES.map((outcome) => ({ value: outcome, label: outcome }));
const fieldNames = ['actorId', 'patientId', 'action', 'outcome', 'from', 'to'] as const;

/** The review filters: user, patient id, action, outcome, period. Checked here before the server checks them again. */
export function AuditFilterForm({ actors, onApply, pending }: AuditFilterFormProps) {
  const [actorId, setActorId] = useState('');
  const [patientId, setPatientId] = useState('');
  const [action, setAction] = useState('');
  const [outcome, setOutcome] = useState('');
  const [period, setPeriod] = useState<PeriodValues>({ from: '', to: '' });
  const [error, setError] = useState<ApiError | null>(null);

  function submit(event: FormEvent<HTMLFormElement>): void {
    event.preventDefault();
    const patient = patientId.trim();
    if (patient !== '' && !isUuid(patient)) {
      setError(clientError('Enter a patient id as shown in the address of the patient’s page, or leave it empty.', 'patientId'));
      return;
    }
    const checked = periodOf(period.from, period.to);
    if (checked instanceof ApiError) {
      setError(checked);
      return;
    }
    setError(null);
    onApply({
      ...checked,
      ...(actorId === '' ? {} : { actorId }),
      ...(patient === '' ? {} : { patientId: patient.toLowerCase() }),
      ...(action === '' ? {} : { action }),
      ...(isOutcome(outcome) ? { outcome } : {}),
    });
  }

  return (
    <form className="audit-filter" onSubmit={submit} noValidate aria-label="Filter the audit log" data-testid="audit-filter">
      <ErrorMessage error={error} fieldNames={fieldNames} />
      <div className="filter-grid">
        <SelectField id="audit-user" label="User" value={actorId} onChange={setActorId} placeholder="Any user" testId="audit-user"
          options={actors.map((actor) => ({ value: actor.id, label: actor.label }))} />
        <TextField id="audit-patient" label="Patient id" value={patientId} onChange={setPatientId} testId="audit-patient"
          error={error?.fieldMessage('patientId')} spellCheck={false} autoComplete="off" placeholder="Any patient" />
        <SelectField id="audit-action" label="Action" value={action} onChange={setAction} placeholder="Any action" options={actionOptions} testId="audit-action" />
        <SelectField id="audit-outcome" label="Outcome" value={outcome} onChange={setOutcome} placeholder="Any outcome" options={outcomeOptions} testId="audit-outcome" />
        <PeriodFields idPrefix="audit" value={period} onChange={setPeriod} error={error} />
      </div>
      <p className="hint">{PERIOD_HINT}</p>
      <div className="actions">
        <button type="submit" className="button primary" disabled={pending} data-testid="audit-apply">
          {pending ? 'Searching…' : 'Apply filters'}
        </button>
      </div>
    </form>
  );
}
