import { useEffect, useState, type FormEvent } from 'react';
import { clientError, toApiError } from '../../api/errors';
import type { CareTeamMember } from '../../api/patient-types';
import { addCareTeamMember } from '../../api/patients';
import type { UserSummary } from '../../api/types';
import { listUsers } from '../../api/users';
import { ErrorMessage } from '../../components/ErrorMessage';
import { SelectField } from '../../components/SelectField';
import { TextField } from '../../components/TextField';
import { todayIso } from '../../format';
import { useAction } from '../../hooks/useAction';

/** The end of a chosen day in the user's time zone, as an ISO timestamp; null without a day. */
function endOfDay(day: string): string | null {
  if (day === '') return null;
  const end = new Date(`${day}T23:59:59`);
  return Number.isNaN(end.getTime()) ? null : end.toISOString();
}

function describe(user: UserSummary): string {
  const who = user.displayName === null ? user.email : `${user.displayName} (${user.email})`;
  return `${who} — ${user.roles.join(', ') || 'no role'}`;
}

/** Adds an active user of the organisation to the care team, with an optional last day (Administrator). */
export function AddCareTeamMember({ patientId, members, onChanged }: { patientId: string; members: readonly CareTeamMember[]; onChanged: (members: CareTeamMember[]) => void }) {
  const [users, setUsers] = useState<UserSummary[] | null>(null);
  const [userId, setUserId] = useState('');
  const [until, setUntil] = useState('');
  const { run, pending, error, setError } = useAction();

  useEffect(() => {
    listUsers().then(setUsers, (caught: unknown) => setError(toApiError(caught)));
  }, [setError]);

  const assigned = new Set(members.map((m) => m.userId));
  const candidates = (users ?? []).filter((u) => u.status === 'active' && !assigned.has(u.id));

  async function submit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    if (userId === '') {
      setError(clientError('Choose who to add.', 'userId'));
      return;
    }
    const ok = await run(async () => onChanged(await addCareTeamMember(patientId, userId, endOfDay(until))));
    if (ok) {
      setUserId('');
      setUntil('');
    }
  }

  return (
    <form className="inline-form" onSubmit={(event) => void submit(event)} noValidate aria-labelledby="care-team-add-title">
      <h3 id="care-team-add-title">Add to the care team</h3>
      <ErrorMessage error={error} fieldNames={['userId', 'endsAt']} />
      <div className="form-grid">
        <SelectField id="care-team-user" label="Person" value={userId} onChange={setUserId} testId="care-team-user"
          options={candidates.map((u) => ({ value: u.id, label: describe(u) }))}
          placeholder={users === null ? 'Loading users…' : candidates.length === 0 ? 'Everyone is already on the team' : 'Choose…'}
          hint="Active users who are not on the team yet." error={error?.fieldMessage('userId')} disabled={users === null} required />
        <TextField id="care-team-ends" label="Last day (optional)" type="date" value={until} onChange={setUntil} testId="care-team-ends"
          min={todayIso()} hint="Empty: no end date."
          error={error?.fieldMessage('endsAt')} />
      </div>
      <div className="actions">
        <button type="submit" className="button primary" disabled={pending || users === null} data-testid="care-team-add">
          {pending ? 'Adding…' : 'Add to care team'}
        </button>
      </div>
    </form>
  );
}
