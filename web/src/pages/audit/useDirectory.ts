import { useEffect, useMemo, useState } from 'react';
import { type ApiError, toApiError } from '../../api/errors';
import type { UserSummary } from '../../api/types';
import { listUsers } from '../../api/users';

/** The organisation's users, to show e-mails instead of actor ids. */
export interface Directory {
  /** The users, sorted by e-mail; empty while loading or when they could not be read. */
  users: readonly UserSummary[];
  /** The e-mail of a user id, or undefined (service accounts, other organisations, not loaded). */
  emailOf: (id: string) => string | undefined;
  /** Why the users could not be read (the tables then show ids). */
  error: ApiError | null;
}

/** Loads the users once (GET /api/users, which Administrators may read). */
export function useDirectory(): Directory {
  const [users, setUsers] = useState<readonly UserSummary[]>([]);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    let current = true;
    listUsers().then(
      (found) => current && setUsers([...found].sort((a, b) => a.email.localeCompare(b.email))),
      (caught: unknown) => current && setError(toApiError(caught)),
    );
    return () => {
      current = false;
    };
  }, []);

  return useMemo(() => {
    const emails = new Map(users.map((user) => [user.id, user.email]));
    return { users, emailOf: (id: string) => emails.get(id), error };
  }, [users, error]);
}
