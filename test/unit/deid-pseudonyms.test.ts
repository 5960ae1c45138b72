import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KeyHandle } from '../../src/crypto/keys/key-material.ts';
import { MAX_DATE_SHIFT_DAYS, TenantPseudonyms } from '../../src/crypto/pseudonyms.ts';
import { isValidUid } from '../../src/ingest/dicom-uid.ts';

const tenantA = new TenantPseudonyms(new KeyHandle('tenant/a/pseudonym/1', Buffer.alloc(32, 1)));
const tenantB = new TenantPseudonyms(new KeyHandle('tenant/b/pseudonym/1', Buffer.alloc(32, 2)));

describe('keyed pseudonyms of a tenant (DEID-1, DEID-4)', () => {
  test('UIDs: 2.25 + a version-8 UUID as a decimal integer, deterministic per tenant, different across tenants', () => {
    const original = '1.2.826.0.1.3680043.8.498.12345';
    const uid = tenantA.uid(original);
    assert.match(uid, /^2\.25\.[1-9]\d{0,38}$/);
    assert.ok(uid.length <= 64 && isValidUid(uid));
    assert.equal(tenantA.uid(original), uid);
    assert.notEqual(tenantB.uid(original), uid);
    assert.notEqual(tenantA.uid(`${original}6`), uid);
    const hex = BigInt(uid.slice(5)).toString(16).padStart(32, '0');
    assert.equal(hex[12], '8', 'UUID version 8 (RFC 9562)');
    assert.ok(['8', '9', 'a', 'b'].includes(hex[16] as string), 'RFC 9562 variant');
  });

  test('patient pseudonyms: P- and 16 base32 characters, keyed', () => {
    const p = tenantA.patientPseudonym('MRN-0001');
    assert.match(p, /^P-[A-Z2-7]{16}$/);
    assert.equal(tenantA.patientPseudonym('MRN-0001'), p);
    assert.notEqual(tenantB.patientPseudonym('MRN-0001'), p);
    assert.notEqual(tenantA.patientPseudonym('MRN-0002'), p);
  });

  test('date shifts: 1 to 3650 days, the same for a patient, spread over the range', () => {
    const shifts = Array.from({ length: 2000 }, (_, i) => tenantA.dateShiftDays(`MRN-${i}`));
    assert.ok(shifts.every((d) => Number.isInteger(d) && d >= 1 && d <= MAX_DATE_SHIFT_DAYS));
    assert.equal(tenantA.dateShiftDays('MRN-7'), shifts[7]);
    assert.ok(new Set(shifts).size > 1000);
    assert.ok(Math.min(...shifts) < 100 && Math.max(...shifts) > 3500);
  });

  test('tokens are base32 of the requested length, separate per kind', () => {
    assert.match(tenantA.token('ae', 'CT01_OC0', 14), /^[A-Z2-7]{14}$/);
    assert.notEqual(tenantA.token('ae', 'x'), tenantA.token('file', 'x'));
  });
});
