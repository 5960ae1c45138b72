import { useEffect, useState, type FormEvent } from 'react';
import { getTenantSettings, saveTenantSettings } from '../../api/admin';
import { type ApiError, clientError, toApiError } from '../../api/errors';
import type { TenantSettings } from '../../api/patient-types';
import { AdminOnly } from '../../components/AdminOnly';
import { ErrorMessage } from '../../components/ErrorMessage';
import { TextField } from '../../components/TextField';
import { useAction } from '../../hooks/useAction';

/** `/admin/settings` (Administrator): the organisation's patient settings. */
export function SettingsPage() {
  return (
    <AdminOnly title="Settings" permission="tenant-settings.manage">
      <Settings />
    </AdminOnly>
  );
}

function Settings() {
  const [loaded, setLoaded] = useState<TenantSettings | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);

  useEffect(() => {
    getTenantSettings().then(setLoaded, (caught: unknown) => setLoadError(toApiError(caught)));
  }, []);

  if (loadError !== null) return <ErrorMessage error={loadError} />;
  if (loaded === null) return <p role="status">Loading settings…</p>;
  return <SettingsForm initial={loaded} />;
}

function SettingsForm({ initial }: { initial: TenantSettings }) {
  const [mrnPattern, setMrnPattern] = useState(initial.mrnPattern);
  const [cliniciansManage, setCliniciansManage] = useState(initial.cliniciansManageCareTeam);
  const [minutes, setMinutes] = useState(String(initial.breakGlassMinutes));
  const [saved, setSaved] = useState(false);
  const { run, pending, error, setError } = useAction();

  async function submit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    setSaved(false);
    const breakGlassMinutes = Number(minutes);
    if (!Number.isInteger(breakGlassMinutes) || breakGlassMinutes < 5 || breakGlassMinutes > 720) {
      setError(clientError('Use a whole number of minutes from 5 to 720.', 'breakGlassMinutes'));
      return;
    }
    const ok = await run(async () => {
      const answer = await saveTenantSettings({ mrnPattern, cliniciansManageCareTeam: cliniciansManage, breakGlassMinutes });
      setMrnPattern(answer.mrnPattern);
      setCliniciansManage(answer.cliniciansManageCareTeam);
      setMinutes(String(answer.breakGlassMinutes));
    });
    setSaved(ok);
  }

  return (
    <section className="panel" aria-labelledby="settings-title">
      <h2 id="settings-title">Patients</h2>
      {saved && (
        <p className="alert alert-success" role="status" data-testid="settings-saved">
          Settings saved.
        </p>
      )}
      <form onSubmit={(event) => void submit(event)} noValidate>
        <ErrorMessage error={error} fieldNames={['mrnPattern', 'cliniciansManageCareTeam', 'breakGlassMinutes']} />
        <TextField id="settings-mrn-pattern" label="MRN format" value={mrnPattern} onChange={setMrnPattern} testId="settings-mrn-pattern"
          hint="A regular expression every new or changed MRN must match, e.g. ^[A-Z0-9][A-Z0-9-]{2,19}$."
          error={error?.fieldMessage('mrnPattern')} spellCheck={false} autoComplete="off" maxLength={200} required />
        <div className="checkbox field">
          <input id="settings-clinicians" type="checkbox" checked={cliniciansManage} onChange={(event) => setCliniciansManage(event.target.checked)}
            data-testid="settings-clinicians" aria-describedby="settings-clinicians-hint" />
          <label htmlFor="settings-clinicians">Clinicians may manage the care teams they are on</label>
        </div>
        <p id="settings-clinicians-hint" className="hint field-hint">
          Otherwise only administrators add and remove care-team members.
        </p>
        <TextField id="settings-break-glass" label="Break-the-glass access (minutes)" type="number" value={minutes} onChange={setMinutes}
          testId="settings-break-glass" min={5} max={720} step={1} inputMode="numeric" error={error?.fieldMessage('breakGlassMinutes')}
          hint="How long a patient opened in an emergency stays open: 5 to 720 minutes." required />
        <div className="actions">
          <button type="submit" className="button primary" disabled={pending} data-testid="settings-submit">
            {pending ? 'Saving…' : 'Save settings'}
          </button>
        </div>
      </form>
    </section>
  );
}
