import { useEffect, useState } from 'react';
import type { UserSummary } from '../api/types';
import { listUsers } from '../api/users';
import { ErrorMessage } from '../components/ErrorMessage';
import { useLoaded } from '../hooks/useLoaded';
import { AppShell } from '../layout/AppShell';
import { useMe } from '../session/SessionContext';
import { InviteUserForm } from './admin/InviteUserForm';
import { SecurityEvents } from './admin/SecurityEvents';
import { UserRow } from './admin/UserRow';

/** `/admin/users` (Administrator): users, invitations, roles, disable/enable, security events. */
export function AdminUsersPage() {
  const me = useMe();
  const isAdmin = me.user.roles.includes('Administrator');
  const { value: users, setValue: setUsers, error, load } = useLoaded(listUsers);
  const [version, setVersion] = useState(0);

  useEffect(() => {
    if (isAdmin) void load();
  }, [isAdmin, load]);

  function updated(user: UserSummary): void {
    setUsers((list) => list?.map((u) => (u.id === user.id ? user : u)) ?? null);
    setVersion((v) => v + 1);
  }

  if (!isAdmin) {
    return (
      <AppShell title="Users">
        <h1>Users</h1>
        <p className="alert alert-error" role="alert">
          This page is for administrators. Ask an administrator if you need access.
        </p>
      </AppShell>
    );
  }

  return (
    <AppShell title="Users">
      <h1>Users</h1>
      <p className="lead">People who can sign in to {me.user.tenant.name}.</p>
      <section className="panel" aria-labelledby="users-title">
        <h2 id="users-title">All users</h2>
        <ErrorMessage error={error} />
        {users === null && error === null && <p role="status">Loading users…</p>}
        {users !== null && (
          <div className="table-wrap">
            <table className="table" data-testid="users-table">
              <thead>
                <tr>
                  <th scope="col">E-mail</th>
                  <th scope="col">Name</th>
                  <th scope="col">Roles</th>
                  <th scope="col">Status</th>
                  <th scope="col">MFA</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {users.map((user) => (
                  <UserRow key={user.id} user={user} isSelf={user.id === me.user.id} onUpdated={updated} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <InviteUserForm
        onInvited={() => {
          void load();
          setVersion((v) => v + 1);
        }}
      />
      <SecurityEvents version={version} />
    </AppShell>
  );
}
