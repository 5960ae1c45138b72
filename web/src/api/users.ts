import { get, post, put } from './client';
import type { Invitation, Role, SecurityEvent, UserSummary } from './types';

/** All users of the organisation (Administrator). */
export async function listUsers(): Promise<UserSummary[]> {
  return (await get<{ users: UserSummary[] }>('/api/users')).users;
}

/** Invites a user; the answer holds the one-time enrolment URL (Administrator, step-up). */
export function inviteUser(input: { email: string; displayName?: string; roles: Role[] }): Promise<Invitation> {
  return post<Invitation>('/api/users/invitations', input);
}

/** Replaces the roles of a user (Administrator, step-up). */
export function setUserRoles(id: string, roles: Role[]): Promise<UserSummary> {
  return put<UserSummary>(`/api/users/${encodeURIComponent(id)}/roles`, { roles });
}

/** Disables or re-enables a user (Administrator, step-up). */
export function setUserEnabled(id: string, enabled: boolean): Promise<UserSummary> {
  return post<UserSummary>(`/api/users/${encodeURIComponent(id)}/${enabled ? 'enable' : 'disable'}`);
}

/** Recent security events of the organisation (Administrator). */
export async function listSecurityEvents(): Promise<SecurityEvent[]> {
  return (await get<{ events: SecurityEvent[] }>('/api/security-events')).events;
}
