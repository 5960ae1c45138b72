import { useEffect, useMemo, useState } from 'react';
import { listServiceAccounts } from '../../api/admin';
import { type ApiError, toApiError } from '../../api/errors';
import { listUsers } from '../../api/users';

/** Someone who can appear as an actor: a user (by e-mail) or a service account (by name). */
export interface KnownActor {
  id: string;
  label: string;
}

/** The organisation's users and service accounts, to show names instead of actor ids. */
export interface Directory {
  /** Users by e-mail, then service accounts by name; empty while loading or unreadable. */
  actors: readonly KnownActor[];
  /** A user's e-mail or a service account's name, or undefined (unknown or not loaded yet). */
  nameOf: (id: string) => string | undefined;
  /** Why the users could not be read (the tables then show ids). */
  error: ApiError | null;
}

const byLabel = (a: KnownActor, b: KnownActor): number => a.label.localeCompare(b.label);

/**
 * Loads the users (GET /api/users) and service accounts (GET /api/service-accounts) once; both are
 * Administrators' reads. Without the service accounts, their ids are shown.
 */
export function useDirectory(): Directory {
  const [actors, setActors] = useState<readonly KnownActor[]>([]);
  const [error, setError] = useState<ApiError | null>(null);

  useEffect(() => {
    let current = true;
    Promise.all([listUsers(), listServiceAccounts().catch(() => [])]).then(
      ([users, accounts]) => {
        if (!current) return;
        const people = users.map((user) => ({ id: user.id, label: user.email })).sort(byLabel);
        const services = accounts.map((account) => ({ id: account.id, label: `${account.name} (service account)` })).sort(byLabel);
        setActors([...people, ...services]);
      },
      (caught: unknown) => current && setError(toApiError(caught)),
    );
    return () => {
      current = false;
    };
  }, []);

  return useMemo(() => {
    const names = new Map(actors.map((actor) => [actor.id, actor.label]));
    return { actors, nameOf: (id: string) => names.get(id), error };
  }, [actors, error]);
}
