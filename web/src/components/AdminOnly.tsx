import type { ReactNode } from 'react';
import { AppShell } from '../layout/AppShell';
import { can, type Permission } from '../permissions';
import { useMe } from '../session/SessionContext';

/**
 * The frame of an Administrator page: the page itself when the user has `permission`, otherwise an
 * explanation (the server would refuse every call anyway).
 */
export function AdminOnly({ title, permission, children }: { title: string; permission: Permission; children: ReactNode }) {
  const me = useMe();
  return (
    <AppShell title={title}>
      <h1>{title}</h1>
      {can(me, permission) ? (
        children
      ) : (
        <p className="alert alert-error" role="alert">
          This page is for administrators. Ask an administrator if you need access.
        </p>
      )}
    </AppShell>
  );
}
