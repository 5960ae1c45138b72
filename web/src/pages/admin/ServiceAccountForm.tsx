import { useState, type FormEvent } from 'react';
import { createServiceAccount } from '../../api/admin';
import { clientError } from '../../api/errors';
import type { CreatedServiceAccount } from '../../api/patient-types';
import { ROLES, type Role } from '../../api/types';
import { CopyField } from '../../components/CopyField';
import { ErrorMessage } from '../../components/ErrorMessage';
import { SelectField } from '../../components/SelectField';
import { TextAreaField } from '../../components/TextAreaField';
import { TextField } from '../../components/TextField';
import { formatDateTime } from '../../format';
import { useAction } from '../../hooks/useAction';

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/iu;
const roleOptions = ROLES.map((role) => ({ value: role, label: role }));

/** Patient ids typed as a comma- (or space-) separated list; an error names the first bad one. */
function parsePatientIds(text: string): string[] {
  const ids = text.split(/[\s,;]+/u).filter((s) => s !== '');
  const bad = ids.find((id) => !uuid.test(id));
  if (bad !== undefined) throw clientError(`“${bad.slice(0, 40)}” is not a patient id (ids look like 3f2c…-…-…).`, 'patientIds');
  return [...new Set(ids)];
}

/** Creates a service account with its first API key, and shows the key once (Administrator, step-up). */
export function ServiceAccountForm({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role | ''>('');
  const [patientIds, setPatientIds] = useState('');
  const [days, setDays] = useState('90');
  const [created, setCreated] = useState<CreatedServiceAccount | null>(null);
  const { run, pending, error, setError } = useAction();

  async function submit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    if (name.trim() === '') return setError(clientError('Give the account a name.', 'name'));
    if (role === '') return setError(clientError('Choose the role the key acts with.', 'role'));
    const expiresDays = Number(days);
    if (!Number.isInteger(expiresDays) || expiresDays < 1 || expiresDays > 365) return setError(clientError('Use a whole number of days from 1 to 365.', 'expiresDays'));
    await run(async () => {
      const ids = parsePatientIds(patientIds);
      const answer = await createServiceAccount({ name: name.trim(), role, expiresDays, ...(ids.length > 0 ? { patientIds: ids } : {}) });
      setCreated(answer);
      setName('');
      setRole('');
      setPatientIds('');
      setDays('90');
      onCreated();
    });
  }

  return (
    <section className="panel" aria-labelledby="new-account-title">
      <h2 id="new-account-title">New service account</h2>
      {created !== null && (
        <div className="alert alert-success" role="status" data-testid="api-key-created">
          <p>
            Service account <strong>{created.serviceAccount.name}</strong> created. Its API key expires on{' '}
            {formatDateTime(created.expiresAt)}.
          </p>
          <p className="warning-text">
            <strong>Copy the key now: it will not be shown again.</strong> Clarus keeps only a hash of it. Store it in
            the other system’s secret store, never in e-mail or chat.
          </p>
          <CopyField id="api-key" label="API key" value={created.apiKey} testId="api-key" />
          <button type="button" className="button button-small" onClick={() => setCreated(null)} data-testid="api-key-done">
            I have stored the key
          </button>
        </div>
      )}
      <form onSubmit={(event) => void submit(event)} noValidate>
        <ErrorMessage error={error} fieldNames={['name', 'role', 'patientIds', 'expiresDays']} />
        <div className="form-grid">
          <TextField id="account-name" label="Name" value={name} onChange={setName} testId="account-name" maxLength={100}
            hint="What uses the key, e.g. “PACS gateway, ward 3”." error={error?.fieldMessage('name')} autoComplete="off" required />
          <SelectField id="account-role" label="Role" value={role} onChange={(v) => setRole(ROLES.find((r) => r === v) ?? '')}
            options={roleOptions} placeholder="Choose…" testId="account-role" error={error?.fieldMessage('role')} required
            hint="The key can do what this role can, and nothing more." />
          <TextField id="account-days" label="Expires after (days)" type="number" value={days} onChange={setDays} testId="account-days"
            min={1} max={365} step={1} inputMode="numeric" error={error?.fieldMessage('expiresDays')} required
            hint="From 1 to 365. A new key is needed after that." />
        </div>
        <TextAreaField id="account-patients" label="Only these patients (optional)" value={patientIds} onChange={setPatientIds}
          testId="account-patients" rows={2} spellCheck={false} error={error?.fieldMessage('patientIds')}
          hint="Patient ids separated by commas. Leave empty for every patient the role reaches." />
        <div className="actions">
          <button type="submit" className="button primary" disabled={pending} data-testid="account-submit">
            {pending ? 'Creating…' : 'Create account and key'}
          </button>
        </div>
      </form>
    </section>
  );
}
