import { useState } from 'react';
import type { Role, UserSummary } from '../../api/types';
import { setUserEnabled, setUserRoles } from '../../api/users';
import { ErrorMessage } from '../../components/ErrorMessage';
import { useAction } from '../../hooks/useAction';
import { RoleCheckboxes } from './RoleCheckboxes';

/** One user in the table, with role editing and disable/enable (both need step-up). */
export function UserRow({ user, isSelf, onUpdated }: { user: UserSummary; isSelf: boolean; onUpdated: (user: UserSummary) => void }) {
  const [editing, setEditing] = useState(false);
  const [roles, setRoles] = useState<Role[]>(user.roles);
  const { run, pending, error } = useAction();
  const disabled = user.status === 'disabled';
  const idPrefix = `user-${user.id}`;

  async function saveRoles(): Promise<void> {
    const ok = await run(async () => onUpdated(await setUserRoles(user.id, roles)));
    if (ok) setEditing(false);
  }

  async function toggleEnabled(): Promise<void> {
    await run(async () => onUpdated(await setUserEnabled(user.id, disabled)));
  }

  return (
    <tr data-testid={`user-row-${user.email}`}>
      <td>{user.email}</td>
      <td>{user.displayName ?? '—'}</td>
      <td>
        {editing ? (
          <RoleCheckboxes idPrefix={idPrefix} legend={`Roles of ${user.email}`} value={roles} onChange={setRoles} error={error?.fieldMessage('roles')} />
        ) : (
          user.roles.join(', ') || '—'
        )}
      </td>
      <td>
        <span className={`badge badge-${disabled ? 'danger' : user.status === 'active' ? 'ok' : 'neutral'}`}>{user.status}</span>
      </td>
      <td>{user.mfaEnrolled ? 'Enrolled' : 'Not set up'}</td>
      <td className="row-actions">
        <ErrorMessage error={error} fieldNames={['roles']} />
        {editing ? (
          <>
            <button type="button" className="button button-small primary" onClick={() => void saveRoles()} disabled={pending}>
              Save roles
            </button>
            <button
              type="button"
              className="button button-small"
              onClick={() => {
                setRoles(user.roles);
                setEditing(false);
              }}
              disabled={pending}
            >
              Cancel
            </button>
          </>
        ) : (
          <button type="button" className="button button-small" onClick={() => {
              setRoles(user.roles);
              setEditing(true);
            }}
            aria-label={`Edit roles of ${user.email}`}>
            Edit roles
          </button>
        )}
        {!isSelf && (
          <button
            type="button"
            className={disabled ? 'button button-small' : 'button button-small danger'}
            onClick={() => void toggleEnabled()}
            disabled={pending}
            aria-label={`${disabled ? 'Enable' : 'Disable'} ${user.email}`}
          >
            {disabled ? 'Enable' : 'Disable'}
          </button>
        )}
      </td>
    </tr>
  );
}
