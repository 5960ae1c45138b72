import { KeyUnwrapError, type Keyring } from '../crypto/keys/keyring.ts';
import { keyRepository, type TenantKeyRow } from '../data/repositories/key.repository.ts';
import { tenantRepository } from '../data/repositories/tenant.repository.ts';
import type { UnitOfWork } from '../data/unit-of-work.ts';
import type { Actor, AuditRecorder } from './audit-recorder.ts';
import type { RequestOrigin } from './principal.ts';
import type { PatientProtection } from './patient-protection.ts';
import type { SecurityEventService } from './security-event.service.ts';

/** What administrators see of a tenant's keys (never key material). */
export interface TenantKeyStatus {
  purpose: TenantKeyRow['purpose'];
  version: number;
  state: TenantKeyRow['state'];
  rootKeyId: string;
  createdAt: Date;
  ageDays: number;
  retiredAt: Date | null;
  /** Patient data keys still wrapped by this version (key-encryption keys only). */
  patientKeys: number | null;
  /** When the scheduler rotates the active key-encryption key. */
  nextRotation: Date | null;
}

export interface KeyStatus {
  provider: string;
  rootKeyId: string;
  rotationDays: number;
  keys: TenantKeyStatus[];
}

export interface RotationProgress {
  tenantId: string;
  done: number;
  total: number;
}

const DAY = 86_400_000;

/**
 * Tenant-key rotation (KEY-3) and root-key rotation. A rotation makes a new key-encryption key
 * version active and marks the old one retiring; data keys are re-wrapped in batches, each batch its
 * own transaction, so a rotation killed at any point is finished by the next `resume()` and nothing
 * becomes unreadable: until the last data key has moved, the retiring version still unwraps. Only then
 * is its material destroyed. No patient data is re-encrypted.
 */
export class KeyService {
  private readonly background = new Set<Promise<void>>();

  constructor(
    private readonly uow: UnitOfWork,
    private readonly keyring: Keyring,
    private readonly protection: PatientProtection,
    private readonly audit: AuditRecorder,
    private readonly securityEvents: SecurityEventService,
    private readonly clock: () => Date,
    private readonly rotationDays: number,
    /** Data keys re-wrapped per transaction. */
    private readonly batchSize = 500,
  ) {}

  async status(tenantId: string): Promise<KeyStatus> {
    const keys = await this.uow.read(tenantId, async (tx) => {
      const rows = await keyRepository.tenantKeys(tx, tenantId);
      return Promise.all(rows.map(async (row): Promise<TenantKeyStatus> => ({
        purpose: row.purpose, version: row.version, state: row.state, rootKeyId: row.rootKeyId, createdAt: row.createdAt, retiredAt: row.retiredAt,
        ageDays: Math.floor((this.clock().getTime() - row.createdAt.getTime()) / DAY),
        patientKeys: row.purpose === 'kek' && row.state !== 'retired' ? await keyRepository.countPatientKeysUnder(tx, tenantId, row.version) : null,
        nextRotation: row.purpose === 'kek' && row.state === 'active' ? new Date(row.createdAt.getTime() + this.rotationDays * DAY) : null,
      })));
    });
    return { provider: this.keyring.providerKind, rootKeyId: this.keyring.currentRootKeyId(), rotationDays: this.rotationDays, keys };
  }

  /**
   * Starts a rotation of the tenant's key-encryption key (unless one is under way) and finishes it.
   * Returns the new active version.
   */
  async rotateTenant(tenantId: string, actor: Actor, origin: RequestOrigin, onProgress?: (p: RotationProgress) => void, options: { background?: boolean } = {}): Promise<number> {
    const started = await this.uow.run(tenantId, async (tx) => {
      const active = await this.protection.activeTenantKey(tx, tenantId, 'kek');
      const rows = await keyRepository.tenantKeys(tx, tenantId);
      if (rows.some((r) => r.purpose === 'kek' && r.state === 'retiring')) return { version: active.version, fresh: false };
      // Serialises concurrent rotations of one tenant: the second waits here, then sees the retiring version.
      await keyRepository.lockActive(tx, tenantId, 'kek');
      const again = await keyRepository.tenantKeys(tx, tenantId);
      if (again.some((r) => r.purpose === 'kek' && r.state === 'retiring')) return { version: active.version, fresh: false };
      await keyRepository.setState(tx, tenantId, 'kek', active.version, 'retiring');
      const next = await this.keyring.createTenantKey(tenantId, 'kek', active.version + 1);
      await keyRepository.insertTenantKey(tx, next, this.clock());
      await this.audit.record(actor, origin, { action: 'key.rotate', outcome: 'success', resourceType: 'tenant-key', resourceId: `kek/${next.version}`, details: { purpose: 'kek', from: active.version, to: next.version } });
      return { version: next.version, fresh: true };
    });
    if (started.fresh) await this.securityEvents.record({ kind: 'keys.rotated', tenantId, actorId: actor.id, details: { purpose: 'kek', version: started.version }, ...origin });
    const finishing = this.finishTenant(tenantId, actor, origin, onProgress);
    if (!options.background) {
      await finishing;
      return started.version;
    }
    // The web request returns at once; `status()` shows the re-wrapping progress, and a stop or crash
    // leaves work that the next `runSchedule()` finishes.
    const tracked = finishing.catch(() => undefined).finally(() => this.background.delete(tracked));
    this.background.add(tracked);
    return started.version;
  }

  /** Waits for rotations started in the background (at shutdown, and in tests). */
  async idle(): Promise<void> {
    await Promise.all([...this.background]);
  }

  /**
   * A data key that does not unwrap stops the rotation (the retiring version must stay while anything
   * references it) and is a High security event; `status()` shows the rotation as still under way.
   */
  private async guarded<T>(tenantId: string, actor: Actor, origin: RequestOrigin, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof KeyUnwrapError) {
        await this.securityEvents.record({ kind: 'crypto.decrypt-failed', tenantId, actorId: actor.id, details: { failure: error.name, during: 'rotation' }, ...origin });
      }
      throw error;
    }
  }

  /** Re-wraps every data key still under a retiring version, then retires that version. */
  async finishTenant(tenantId: string, actor: Actor, origin: RequestOrigin, onProgress?: (p: RotationProgress) => void): Promise<void> {
    const retiring = await this.uow.read(tenantId, async (tx) => (await keyRepository.tenantKeys(tx, tenantId)).filter((r) => r.purpose === 'kek' && r.state === 'retiring'));
    for (const old of retiring) {
      const total = await this.uow.read(tenantId, (tx) => keyRepository.countPatientKeysUnder(tx, tenantId, old.version));
      let done = 0;
      onProgress?.({ tenantId, done, total });
      for (;;) {
        const moved = await this.guarded(tenantId, actor, origin, () => this.uow.run(tenantId, async (tx) => {
          const active = await this.protection.activeTenantKey(tx, tenantId, 'kek');
          const oldKek = await this.protection.tenantKey(tx, tenantId, 'kek', old.version);
          const batch = await keyRepository.patientKeysUnder(tx, tenantId, old.version, this.batchSize);
          for (const key of batch) {
            const wrapped = this.keyring.rewrapDataKey(oldKek, active.handle, tenantId, key.patientId, key.version, key.wrapped);
            await keyRepository.rewrapPatientKey(tx, { tenantId, patientId: key.patientId, version: key.version, fromKek: old.version, toKek: active.version, wrapped });
          }
          return batch.length;
        }));
        done += moved;
        onProgress?.({ tenantId, done: Math.min(done, total), total: Math.max(total, done) });
        if (moved < this.batchSize) break;
      }
      await this.uow.run(tenantId, async (tx) => {
        // Only a version that nothing references any more loses its material.
        if ((await keyRepository.countPatientKeysUnder(tx, tenantId, old.version)) > 0) return;
        await keyRepository.retireTenantKey(tx, tenantId, 'kek', old.version, this.clock());
        await this.audit.record(actor, origin, { action: 'key.retire', outcome: 'success', resourceType: 'tenant-key', resourceId: `kek/${old.version}`, details: { purpose: 'kek', version: old.version } });
      });
    }
    this.keyring.forget();
  }

  /**
   * Root-key rotation: every tenant key not wrapped by the provider's current root key is re-wrapped
   * by it. With an HSM, `newRootKey` first creates the next root key inside the token; afterwards the
   * old root keys that nothing references are destroyed.
   */
  async rotateRoot(actor: Actor, origin: RequestOrigin, options: { newRootKey: boolean; retireOld: boolean }, onProgress?: (p: { done: number; total: number }) => void): Promise<{ rootKeyId: string; rewrapped: number; retired: string[] }> {
    const before = this.keyring.currentRootKeyId();
    const rootKeyId = options.newRootKey ? await this.keyring.createNextRootKey() : before;
    const tenants = await this.uow.read(null, (tx) => tenantRepository.list(tx));
    const stale = await Promise.all(tenants.map((t) => this.uow.read(t.id, async (tx) => (await keyRepository.tenantKeys(tx, t.id)).filter((k) => k.wrapped && k.rootKeyId !== rootKeyId))));
    const total = stale.reduce((n, list) => n + list.length, 0);
    let rewrapped = 0;
    onProgress?.({ done: 0, total });
    for (const list of stale) {
      for (const key of list) {
        await this.uow.run(key.tenantId, async (tx) => {
          const fresh = await this.keyring.rewrapTenantKey({ ...key, wrapped: key.wrapped as Buffer });
          await keyRepository.rewrapTenantKey(tx, fresh, key.rootKeyId);
        });
        rewrapped += 1;
        onProgress?.({ done: rewrapped, total });
      }
    }
    const retired = options.retireOld ? await this.retireUnusedRootKeys(tenants.map((t) => t.id)) : [];
    await this.audit.record(actor, origin, { action: 'key.root-rotate', outcome: 'success', resourceType: 'root-key', resourceId: rootKeyId, details: { previous: before, rewrapped, retired: retired.length } });
    await this.securityEvents.record({ kind: 'keys.root-rotated', tenantId: null, actorId: actor.id, details: { rewrapped }, ...origin });
    this.keyring.forget();
    return { rootKeyId, rewrapped, retired };
  }

  private async retireUnusedRootKeys(tenantIds: string[]): Promise<string[]> {
    const inUse = new Set<string>();
    for (const tenantId of tenantIds) {
      const rows = await this.uow.read(tenantId, (tx) => keyRepository.tenantKeys(tx, tenantId));
      for (const row of rows) if (row.wrapped) inUse.add(row.rootKeyId);
    }
    return this.keyring.retireRootKeysExcept(inUse);
  }

  /** At start and on schedule: finish interrupted rotations, then rotate what is due (KEY-3). */
  async runSchedule(onProgress?: (p: RotationProgress) => void): Promise<{ resumed: number; rotated: number }> {
    const system: Actor = { tenantId: null, kind: 'system', id: null };
    const origin: RequestOrigin = { sourceAddress: null, requestId: null };
    const tenants = await this.uow.read(null, (tx) => tenantRepository.list(tx));
    let resumed = 0;
    let rotated = 0;
    for (const tenant of tenants) {
      const rows = await this.uow.read(tenant.id, (tx) => keyRepository.tenantKeys(tx, tenant.id));
      const actor = { ...system, tenantId: tenant.id };
      if (rows.some((r) => r.purpose === 'kek' && r.state === 'retiring')) {
        await this.finishTenant(tenant.id, actor, origin, onProgress);
        resumed += 1;
      }
      const active = rows.find((r) => r.purpose === 'kek' && r.state === 'active');
      if (active && this.clock().getTime() - active.createdAt.getTime() >= this.rotationDays * DAY) {
        await this.rotateTenant(tenant.id, actor, origin, onProgress);
        rotated += 1;
      }
    }
    return { resumed, rotated };
  }
}
