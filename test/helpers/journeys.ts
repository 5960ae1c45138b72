import assert from 'node:assert/strict';
import { base32Decode, totpAt } from '../../src/crypto/totp.ts';
import type { Role } from '../../src/domain/roles.ts';
import { TestClient } from './http-client.ts';
import type { TestSystem } from './test-system.ts';

export const strongPassword = 'correct horse battery staple 42';

export interface SignedInUser {
  client: TestClient;
  email: string;
  totpSecret: Buffer;
  recoveryCodes: string[];
  userId: string;
  tenantId: string;
  /** A fresh TOTP code: moves the test clock one 30-second step on, since each step is usable once. */
  nextCode(): string;
}

export function tokenOf(enrolmentUrl: string): string {
  const token = new URL(enrolmentUrl).hash.replace(/^#token=/, '');
  assert.ok(token.length > 20, 'enrolment link carries a token in its fragment');
  return token;
}

/** Enrolment link → password → TOTP enrolment → full session, through the HTTP API only. */
export async function enrolThroughLink(system: TestSystem, enrolmentUrl: string, email: string, remoteAddress?: string): Promise<SignedInUser> {
  const client = new TestClient(system.app, remoteAddress);
  const token = tokenOf(enrolmentUrl);
  const enrolled = await client.post('/api/auth/enrolment', { token, password: strongPassword });
  assert.equal(enrolled.status, 200, JSON.stringify(enrolled.body));
  const setup = await client.post('/api/auth/totp/setup');
  assert.equal(setup.status, 200, JSON.stringify(setup.body));
  const totpSecret = base32Decode(setup.body.secret as string);
  const confirmed = await client.post('/api/auth/totp/confirm', { code: totpAt(totpSecret, system.clock.now().getTime()) });
  assert.equal(confirmed.status, 200, JSON.stringify(confirmed.body));
  const me = await client.get('/api/auth/me');
  assert.equal(me.status, 200);
  const user = me.body.user as { id: string; tenant: { id: string } };
  return {
    client, email, totpSecret, recoveryCodes: confirmed.body.recoveryCodes as string[], userId: user.id, tenantId: user.tenant.id,
    nextCode() {
      system.clock.advance(30);
      return totpAt(totpSecret, system.clock.now().getTime());
    },
  };
}

let counter = 0;
/** A new organisation with an enrolled Administrator. */
export async function newTenantWithAdmin(system: TestSystem, slug = `org-${process.pid}-${++counter}`): Promise<SignedInUser> {
  const email = `admin-${slug}@example.org`;
  const { link } = await system.composition.services.tenants.create(slug, `Hospital ${slug}`, email);
  return enrolThroughLink(system, link.url, email);
}

/** Invites and enrols another user with the given roles, as the Administrator (with step-up). */
export async function addUser(system: TestSystem, admin: SignedInUser, roles: Role[], email = `user-${++counter}-${process.pid}@example.org`): Promise<SignedInUser> {
  const stepUp = await admin.client.post('/api/auth/step-up', { code: admin.nextCode() });
  assert.equal(stepUp.status, 200, JSON.stringify(stepUp.body));
  const invited = await admin.client.post('/api/users/invitations', { email, roles });
  assert.equal(invited.status, 200, JSON.stringify(invited.body));
  return enrolThroughLink(system, invited.body.enrolmentUrl as string, email);
}
