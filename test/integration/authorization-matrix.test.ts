import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { RouteInfo } from '../../src/http/plugins/route-guard.ts';
import { reaches, resolvePatientReach } from '../../src/domain/patient-access.ts';
import { imagesLimitedToOwnUploads } from '../../src/domain/image-access.ts';
import { permissionsOf, roles, servicePermissionsOf, type Role } from '../../src/domain/roles.ts';
import { TestClient } from '../helpers/http-client.ts';
import { addUser, newTenantWithAdmin, type SignedInUser } from '../helpers/journeys.ts';
import { assignToCareTeam, createPatient } from '../helpers/patients.ts';
import { startTestSystem, type TestSystem } from '../helpers/test-system.ts';
import sharp from 'sharp';

/**
 * The authorization matrix (DEV-2, issue 3): every registered route × every kind of caller × an
 * assigned and an unassigned patient, each answer compared with what the tables in src/domain/
 * say. Expected outcomes are computed from those tables, never written by hand.
 */
type Outcome = 'unauthenticated' | 'stage' | 'forbidden' | 'step-up' | 'not-found' | 'allowed';

interface Caller {
  name: string;
  kind: 'anonymous' | 'user' | 'service' | 'foreign';
  roles: Role[];
  assigned: string[];
  restriction: string[] | null;
  call(method: string, url: string, body: unknown): Promise<{ status: number; code: string }>;
}

let system: TestSystem;
const callers: Caller[] = [];
let assignedPatient = '';
let unassignedPatient = '';
/** An image of each patient, uploaded by the Administrator: instance routes are patient routes too. */
const instanceOf = new Map<string, string>();

function userCaller(name: string, user: SignedInUser, held: Role[], assigned: string[], kind: 'user' | 'foreign' = 'user'): Caller {
  return {
    name, kind, roles: held, assigned, restriction: null,
    async call(method, url, body) {
      const reply = await user.client.request(method as 'GET', url, body);
      return { status: reply.status, code: typeof reply.body.code === 'string' ? reply.body.code : '' };
    },
  };
}

function keyCaller(name: string, key: string, role: Role, restriction: string[] | null): Caller {
  return {
    // A service account has no care team: its patient restriction is what it is assigned.
    name, kind: 'service', roles: [role], assigned: restriction ?? [], restriction,
    async call(method, url, body) {
      const reply = await system.app.inject({ method: method as 'GET', url, headers: { 'x-api-key': key }, ...(body === undefined ? {} : { payload: body as object }) });
      const json = (reply.headers['content-type'] ?? '').toString().includes('json');
      return { status: reply.statusCode, code: json ? String((JSON.parse(reply.body || '{}') as { code?: string }).code ?? '') : '' };
    },
  };
}

before(async () => {
  // No clamd here: this file checks authorization, and uploads of a test image need no scan.
  system = await startTestSystem({ env: { CLARUS_STEP_UP_WINDOW: '60', CLARUS_ALLOW_UNSCANNED: 'true' } });
  const admin = await newTenantWithAdmin(system);
  const users = new Map<Role, SignedInUser>([['Administrator', admin]]);
  for (const role of roles.filter((r) => r !== 'Administrator')) users.set(role, await addUser(system, admin, [role]));
  assignedPatient = await createPatient(admin);
  unassignedPatient = await createPatient(admin);
  const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: '#000000' } }).png().toBuffer();
  for (const patient of [assignedPatient, unassignedPatient]) {
    const uploaded = await admin.client.request('POST', `/api/patients/${patient}/images`, png, { 'content-type': 'image/png' });
    assert.equal(uploaded.status, 201, JSON.stringify(uploaded.body));
    instanceOf.set(patient, uploaded.body.instanceId as string);
  }
  for (const role of ['Clinician', 'Viewer'] as const) await assignToCareTeam(admin, assignedPatient, (users.get(role) as SignedInUser).userId);
  for (const [role, user] of users) callers.push(userCaller(role, user, [role], role === 'Clinician' || role === 'Viewer' ? [assignedPatient] : []));
  const anonymous = new TestClient(system.app);
  callers.push({
    name: 'anonymous', kind: 'anonymous', roles: [], assigned: [], restriction: null,
    async call(method, url, body) {
      const reply = await anonymous.request(method as 'GET', url, body);
      return { status: reply.status, code: typeof reply.body.code === 'string' ? reply.body.code : '' };
    },
  });
  const slug = ((await admin.client.get('/api/auth/me')).body.user as { tenant: { slug: string } }).tenant.slug;
  const keys = system.composition.services.serviceAccounts;
  const make = async (name: string, role: Role, restriction: string[] | null) => (await keys.createForTenant(slug, { name, role, patientIds: restriction, expiresDays: 10 })).key;
  callers.push(keyCaller('key:Administrator', await make('matrix-admin', 'Administrator', null), 'Administrator', null));
  callers.push(keyCaller('key:Clinician[assigned]', await make('matrix-clinician', 'Clinician', [assignedPatient]), 'Clinician', [assignedPatient]));
  callers.push(keyCaller('key:Technician', await make('matrix-technician', 'Technician', null), 'Technician', null));
  callers.push(userCaller('other-tenant Administrator', await newTenantWithAdmin(system), ['Administrator'], [], 'foreign'));
  // Every step-up has lapsed: step-up routes must then answer "step-up required", whoever asks.
  system.clock.advance(61);
});
after(async () => system.close());

function expected(route: RouteInfo, caller: Caller, patient: string | undefined): Outcome {
  if (caller.kind === 'anonymous') return 'unauthenticated';
  if ('public' in route.access) return 'allowed';
  const stages = route.access.stages ?? ['full'];
  if (!stages.includes('full')) return 'stage';
  const granted = caller.kind === 'service' ? servicePermissionsOf(caller.roles[0] as Role) : permissionsOf(caller.roles);
  if (!granted.has(route.access.permission)) return 'forbidden';
  if (route.access.stepUp) return 'step-up';
  // A resumable upload (tus) exists only for its owner: a random id is not found, whoever asks (PATCH and DELETE are refused earlier, 412 without Tus-Resumable).
  if (route.url.startsWith('/api/uploads/:') && route.method === 'GET') return 'not-found';
  // A research export exists only for its requester (and the tenant's Administrators): a random id is not found.
  if (route.url.startsWith('/api/research-exports/:') && route.method === 'GET') return 'not-found';
  // Bodies are validated before a patient is looked up; the probe's empty body is refused the same for any id.
  if (patient === undefined || ['POST', 'PATCH', 'PUT'].includes(route.method)) return 'allowed';
  if (caller.kind === 'foreign') return 'not-found';
  const reach = resolvePatientReach(caller.roles, caller.assigned, caller.restriction);
  if (!reaches(reach.full, patient) && !reaches(reach.minimal, patient)) return 'not-found';
  // Consent belongs to the full record: minimal-field reach (Technicians) does not see it.
  if (route.url.startsWith('/api/patients/:id/consents') && !reaches(reach.full, patient)) return 'not-found';
  // Technicians see only images they uploaded (src/domain/image-access.ts); these were the Administrator's.
  if (route.url.includes(':instanceId') && imagesLimitedToOwnUploads(caller.roles)) return 'not-found';
  if (route.access.permission === 'care-team.manage' && !caller.roles.includes('Administrator')) return 'forbidden';
  return 'allowed';
}

function observed(reply: { status: number; code: string }): Outcome {
  if (reply.status === 401) return 'unauthenticated';
  if (reply.code === 'CLARUS_ERR_MFA_STAGE') return 'stage';
  if (reply.code === 'CLARUS_ERR_STEP_UP_REQUIRED') return 'step-up';
  if (reply.status === 403) return 'forbidden';
  if (reply.status === 404) return 'not-found';
  return 'allowed';
}

test('every route × every caller × assigned and unassigned patients answers as the domain tables say', async () => {
  // Signing out would end the sessions this walk relies on; those routes are tested in sign-in.test.ts.
  const routes = system.app.routeCatalog.filter((r) => r.method !== 'HEAD' && !('public' in r.access) && !r.url.startsWith('/api/auth/logout'));
  const rows: string[] = [];
  let checked = 0;
  for (const route of routes) {
    const patientRoute = route.url.startsWith('/api/patients/:id') || route.url.includes(':instanceId');
    for (const patient of patientRoute ? [assignedPatient, unassignedPatient] : [undefined]) {
      const url = route.url.replace(':id', patient ?? randomUUID()).replace(':instanceId', instanceOf.get(patient ?? '') ?? randomUUID()).replace(/:[a-zA-Z]+/g, () => randomUUID());
      for (const caller of callers) {
        const want = expected(route, caller, patient);
        const reply = await caller.call(route.method, url, route.method === 'GET' || route.method === 'DELETE' ? undefined : {});
        let got = observed(reply);
        // DELETE of a care-team member that is not on the team is a 404 even when allowed.
        if (want === 'allowed' && got === 'not-found' && route.method === 'DELETE') got = 'allowed';
        checked += 1;
        rows.push(`${route.method} ${route.url}${patient ? (patient === assignedPatient ? ' [assigned]' : ' [unassigned]') : ''} | ${caller.name} | ${want}`);
        assert.equal(got, want, `${route.method} ${route.url} as ${caller.name} (${patient === assignedPatient ? 'assigned' : patient ? 'unassigned' : '-'}): ${reply.status} ${reply.code}`);
      }
    }
  }
  const allowed = rows.filter((r) => r.endsWith('| allowed')).length;
  process.stdout.write(`# authorization matrix: ${routes.length} routes × ${callers.length} callers (patient routes twice) = ${checked} checks, ${allowed} allowed, ${checked - allowed} refused, 0 unexpected\n`);
  for (const row of rows) process.stdout.write(`# ${row}\n`);
  assert.ok(checked >= 300, `the matrix is not trivially small (${checked})`);
});
