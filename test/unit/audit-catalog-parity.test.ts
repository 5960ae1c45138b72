import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { auditActions } from '../../src/domain/audit-actions.ts';

// The web app is type-checked under its own configuration: its list is read as text here.
const webCatalog = readFileSync(resolve(import.meta.dirname, '../../web/src/pages/audit/auditCatalog.ts'), 'utf8');

test("the web app's audit action filter lists exactly the server's audited actions", () => {
  const block = /export const AUDIT_ACTIONS = \[([^\]]*)\]/.exec(webCatalog)?.[1] ?? '';
  const listed = [...block.matchAll(/'([a-z.-]+)'/g)].map((m) => m[1] as string);
  assert.deepEqual(listed.sort(), Object.keys(auditActions).sort());
});
