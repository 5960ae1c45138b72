import { useState, type FormEvent } from 'react';
import { clientError } from '../../api/errors';
import type { Invitation, Role } from '../../api/types';
import { inviteUser } from '../../api/users';
import { CopyField } from '../../components/CopyField';
import { ErrorMessage } from '../../components/ErrorMessage';
import { TextField } from '../../components/TextField';
import { formatDateTime } from '../../format';
import { useAction } from '../../hooks/useAction';
import { RoleCheckboxes } from './RoleCheckboxes';

/** Invites a user and shows the one-time enrolment link to hand over by a trusted channel. */
export function InviteUserForm({ onInvited }: { onInvited: () => void }) {
  const [email, setEmail] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [roles, setRoles] = useState<Role[]>([]);
  const [invitation, setInvitation] = useState<(Invitation & { email: string }) | null>(null);
  const { run, pending, error, setError } = useAction();

  async function submit(event: FormEvent<HTMLFormElement>): Promise<void> {
    event.preventDefault();
    if (roles.length === 0) {
      setError(clientError('Choose at least one role.', 'roles'));
      return;
    }
    const invited = email.trim();
    await run(async () => {
      const name = displayName.trim();
      const answer = await inviteUser({ email: invited, roles, ...(name === '' ? {} : { displayName: name }) });
      setInvitation({ ...answer, email: invited });
      setEmail('');
      setDisplayName('');
      setRoles([]);
      onInvited();
    });
  }

  return (
    <section className="panel" aria-labelledby="invite-title">
      <h2 id="invite-title">Invite a user</h2>
      {invitation !== null && (
        <div className="alert alert-success" role="status">
          <p>
            Invitation created for <strong>{invitation.email}</strong>. Send them this link through a
            channel you trust. It is shown only once, works once and expires on{' '}
            {formatDateTime(invitation.expiresAt)}.
          </p>
          <CopyField id="enrolment-url" label="Enrolment link" value={invitation.enrolmentUrl} testId="enrolment-url" />
          <button type="button" className="button button-small" onClick={() => setInvitation(null)}>
            Done
          </button>
        </div>
      )}
      <form onSubmit={(event) => void submit(event)} noValidate>
        <ErrorMessage error={error} fieldNames={['email', 'displayName', 'roles']} />
        <TextField
          id="invite-email"
          label="E-mail address"
          type="email"
          value={email}
          onChange={setEmail}
          autoComplete="off"
          required
          testId="invite-email"
          error={error?.fieldMessage('email')}
        />
        <TextField
          id="invite-name"
          label="Display name (optional)"
          value={displayName}
          onChange={setDisplayName}
          autoComplete="off"
          maxLength={200}
          testId="invite-name"
          error={error?.fieldMessage('displayName')}
        />
        <RoleCheckboxes idPrefix="invite" legend="Roles" value={roles} onChange={setRoles} error={error?.fieldMessage('roles')} />
        <div className="actions">
          <button type="submit" className="button primary" disabled={pending} data-testid="invite-submit">
            {pending ? 'Inviting…' : 'Send invitation'}
          </button>
        </div>
      </form>
    </section>
  );
}
