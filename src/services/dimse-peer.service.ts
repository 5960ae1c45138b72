import { randomUUID } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import { ClarusError } from '../domain/error-catalog.ts';
import { isRole, type Role } from '../domain/roles.ts';
import { dimsePeerRepository, type DimsePeerRecord } from '../data/repositories/dimse-peer.repository.ts';
import { patientRepository } from '../data/repositories/patient.repository.ts';
import { serviceAccountRepository } from '../data/repositories/service-account.repository.ts';
import { tenantRepository } from '../data/repositories/tenant.repository.ts';
import type { Principal, RequestOrigin, ServiceContext } from './context.ts';

export type { DimsePeerRecord } from '../data/repositories/dimse-peer.repository.ts';

export interface NewDimsePeer {
  aeTitle: string;
  role: Role;
  /** The patients the peer's service account is limited to; null for the role's whole reach. */
  patientIds: string[] | null;
  /** Addresses (`10.1.2.3`, `2001:db8::5`) or CIDR blocks (`10.1.2.0/24`) it may connect from; null for any. */
  hosts: string[] | null;
}

/** Why an association is refused; the peer is told only "calling AE title not recognized" (PS3.8 §9.3.4). */
export type PeerRefusal = 'unknown-ae' | 'host-not-allowed';

export type PeerAuthorization =
  | { ok: true; peer: DimsePeerRecord; principal: Principal }
  | { ok: false; reason: PeerRefusal; tenantId: string | null };

/** PS3.5 §6.2 AE: 1–16 characters of the default repertoire, no backslash, no control characters. */
export const aeTitlePattern = /^[\x20-\x5B\x5D-\x7E]{1,16}$/u;

/** The significant part of an AE title (leading and trailing spaces are not significant), or undefined. */
export function normalizeAeTitle(value: string): string | undefined {
  const trimmed = value.trim();
  return trimmed !== '' && aeTitlePattern.test(trimmed) ? trimmed : undefined;
}

/** `a.b.c.d` or an IPv6 address, optionally with a prefix length; the canonical text, or undefined. */
export function normalizeHostEntry(entry: string): string | undefined {
  const [address = '', prefix, extra] = entry.trim().split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return undefined;
  if (prefix === undefined) return address.toLowerCase();
  if (!/^\d{1,3}$/u.test(prefix) || Number(prefix) > (family === 4 ? 32 : 128)) return undefined;
  return `${address.toLowerCase()}/${Number(prefix)}`;
}

/** True when the address is one of the entries (exact addresses or CIDR blocks, IPv4-mapped IPv6 unwrapped). */
export function hostAllowed(entries: readonly string[], sourceAddress: string | null): boolean {
  if (!sourceAddress) return false;
  const address = sourceAddress.startsWith('::ffff:') && isIP(sourceAddress.slice(7)) === 4 ? sourceAddress.slice(7) : sourceAddress;
  const family = isIP(address);
  if (family === 0) return false;
  const list = new BlockList();
  for (const entry of entries) {
    const [base = '', prefix] = entry.split('/');
    const type = isIP(base) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(base, type);
    else list.addSubnet(base, Number(prefix), type);
  }
  return list.check(address, family === 6 ? 'ipv6' : 'ipv4');
}

/**
 * DIMSE peers (issue 6, DCM-2): each allowed calling AE title belongs to one tenant and acts through
 * a service account of that tenant, so that roles, patient restrictions, row-level security and the
 * audit trail apply to DIMSE exactly as to an API key (ROLE-4). Operators manage peers from the CLI.
 */
export class DimsePeerService {
  constructor(private readonly ctx: ServiceContext) {}

  private async tenantIdOf(slug: string): Promise<string> {
    const tenant = await this.ctx.uow.read(null, (tx) => tenantRepository.findBySlug(tx, slug));
    if (!tenant) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
    return tenant.id;
  }

  /** Operator (CLI) registration of a peer in the organisation named by its slug. */
  async addForTenant(slug: string, input: NewDimsePeer): Promise<DimsePeerRecord> {
    const aeTitle = normalizeAeTitle(input.aeTitle);
    if (!aeTitle) throw new ClarusError('CLARUS_ERR_VALIDATION', [{ path: 'aeTitle', message: 'An AE title has 1 to 16 characters, without backslash or control characters.' }]);
    const hosts = input.hosts?.map(normalizeHostEntry);
    if (hosts?.some((h) => h === undefined) || hosts?.length === 0) throw new ClarusError('CLARUS_ERR_VALIDATION', [{ path: 'hosts', message: 'Give IP addresses or CIDR blocks.' }]);
    const tenantId = await this.tenantIdOf(slug);
    const origin: RequestOrigin = { sourceAddress: null, requestId: null };
    const peer = await this.ctx.uow.run(tenantId, async (tx) => {
      if (input.patientIds) {
        const scope = { tenantId, actorId: 'system', reach: { full: 'all' as const, minimal: [] } };
        for (const id of input.patientIds) {
          if (!(await patientRepository.existsInTenant(tx, scope, id))) throw new ClarusError('CLARUS_ERR_VALIDATION', [{ path: 'patientIds', message: 'A patient id does not exist in this organisation.' }]);
        }
      }
      const accountId = randomUUID();
      // The account is named after the AE title; it has no API key, so it acts only through DIMSE.
      if (!(await serviceAccountRepository.create(tx, tenantId, { id: accountId, name: `DIMSE ${aeTitle}`, role: input.role, patientIds: input.patientIds, createdBy: null }))) throw new ClarusError('CLARUS_ERR_CONFLICT');
      const id = randomUUID();
      if (!(await dimsePeerRepository.create(tx, { id, tenantId, aeTitle, serviceAccountId: accountId, hosts: (hosts as string[] | undefined) ?? null, createdBy: null }))) throw new ClarusError('CLARUS_ERR_CONFLICT');
      await this.ctx.audit.record({ tenantId, kind: 'system', id: null }, origin, { action: 'service-account.create', outcome: 'success', resourceType: 'service-account', resourceId: accountId, details: { role: input.role, patients: input.patientIds?.length ?? 0, channel: 'dimse' } });
      await this.ctx.audit.record({ tenantId, kind: 'system', id: null }, origin, { action: 'dimse-peer.add', outcome: 'success', resourceType: 'dimse-peer', resourceId: id, details: { role: input.role, hosts: hosts?.length ?? 0 } });
      return dimsePeerRepository.byAeTitle(tx, tenantId, aeTitle);
    });
    await this.ctx.securityEvents.record({ kind: 'dimse.peers-changed', tenantId, actorId: null, subjectId: (peer as DimsePeerRecord).id, details: { change: 'added', role: input.role }, ...origin });
    return peer as DimsePeerRecord;
  }

  async listForTenant(slug: string): Promise<DimsePeerRecord[]> {
    const tenantId = await this.tenantIdOf(slug);
    return this.ctx.uow.read(tenantId, (tx) => dimsePeerRepository.list(tx, tenantId));
  }

  /** Removes a peer and its service account; associations it opens afterwards are rejected. */
  async removeForTenant(slug: string, aeTitleInput: string): Promise<void> {
    const aeTitle = normalizeAeTitle(aeTitleInput);
    const tenantId = await this.tenantIdOf(slug);
    const origin: RequestOrigin = { sourceAddress: null, requestId: null };
    const removed = aeTitle && await this.ctx.uow.run(tenantId, async (tx) => {
      const peer = await dimsePeerRepository.remove(tx, tenantId, aeTitle);
      if (peer) await this.ctx.audit.record({ tenantId, kind: 'system', id: null }, origin, { action: 'dimse-peer.remove', outcome: 'success', resourceType: 'dimse-peer', resourceId: peer.id });
      return peer;
    });
    if (!removed) throw new ClarusError('CLARUS_ERR_NOT_FOUND');
    await this.ctx.securityEvents.record({ kind: 'dimse.peers-changed', tenantId, actorId: null, subjectId: removed.id, details: { change: 'removed' }, ...origin });
  }

  /**
   * Who a calling AE title is: its tenant (from the global directory), then its peer row and service
   * account under that tenant's row-level security, then its host allow-list. The principal is the
   * service account's, exactly as `ServiceAccountService.authenticate` builds it for an API key.
   */
  async authorize(callingAeTitle: string, sourceAddress: string | null): Promise<PeerAuthorization> {
    const aeTitle = normalizeAeTitle(callingAeTitle);
    if (!aeTitle) return { ok: false, reason: 'unknown-ae', tenantId: null };
    const tenantId = await this.ctx.uow.read(null, (tx) => dimsePeerRepository.tenantOf(tx, aeTitle));
    if (!tenantId) return { ok: false, reason: 'unknown-ae', tenantId: null };
    const peer = await this.ctx.uow.read(tenantId, (tx) => dimsePeerRepository.byAeTitle(tx, tenantId, aeTitle));
    if (!peer || !isRole(peer.role)) return { ok: false, reason: 'unknown-ae', tenantId };
    if (peer.hosts && !hostAllowed(peer.hosts, sourceAddress)) return { ok: false, reason: 'host-not-allowed', tenantId };
    return {
      ok: true, peer,
      principal: {
        kind: 'service', tenantId, userId: peer.serviceAccountId, sessionId: '', stage: 'full', roles: [peer.role],
        stepUpAt: null, patientRestriction: peer.patientIds,
      },
    };
  }
}
