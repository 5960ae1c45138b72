import { get, post, put } from './client';
import type { CreatedServiceAccount, ServiceAccount, TenantSettings } from './patient-types';
import type { Role } from './types';

/** Service accounts of the organisation with their keys (Administrator). */
export async function listServiceAccounts(): Promise<ServiceAccount[]> {
  return (await get<{ serviceAccounts: ServiceAccount[] }>('/api/service-accounts')).serviceAccounts;
}

/** Creates a service account and its first API key, returned once (Administrator, step-up). */
export function createServiceAccount(input: { name: string; role: Role; patientIds?: string[]; expiresDays: number }): Promise<CreatedServiceAccount> {
  return post<CreatedServiceAccount>('/api/service-accounts', input);
}

/** Revokes one API key at once (Administrator, step-up). */
export function revokeApiKey(keyId: string): Promise<void> {
  return post<void>(`/api/service-accounts/keys/${encodeURIComponent(keyId)}/revoke`);
}

/** The organisation's patient settings (Administrator). */
export function getTenantSettings(): Promise<TenantSettings> {
  return get<TenantSettings>('/api/tenant/settings');
}

/** Replaces the organisation's patient settings (Administrator, step-up). */
export function saveTenantSettings(settings: TenantSettings): Promise<TenantSettings> {
  return put<TenantSettings>('/api/tenant/settings', settings);
}
