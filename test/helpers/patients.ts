import assert from 'node:assert/strict';
import type { SignedInUser } from './journeys.ts';

let counter = 0;

/** A valid patient body with a fresh MRN. */
export function patientBody(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  counter += 1;
  return {
    mrn: `MRN-${process.pid % 10_000}-${counter}`,
    givenName: 'Ada',
    familyName: `Lovelace${String.fromCharCode(97 + (counter % 26))}`,
    birthDate: '1985-12-10',
    sex: 'female',
    email: `patient${counter}@example.org`,
    phone: '+441632960000',
    address: '1 Example Street, Exampletown',
    ...overrides,
  };
}

/** Creates a patient through the API as the given user; returns its id. */
export async function createPatient(user: SignedInUser, overrides: Record<string, unknown> = {}): Promise<string> {
  const reply = await user.client.post('/api/patients', patientBody(overrides));
  assert.equal(reply.status, 201, JSON.stringify(reply.body));
  return (reply.body.patient as { id: string }).id;
}

/** Puts a user on a patient's care team, as an Administrator. */
export async function assignToCareTeam(admin: SignedInUser, patientId: string, userId: string, endsAt?: string): Promise<void> {
  const reply = await admin.client.post(`/api/patients/${patientId}/care-team`, { userId, ...(endsAt ? { endsAt } : {}) });
  assert.equal(reply.status, 200, JSON.stringify(reply.body));
}
