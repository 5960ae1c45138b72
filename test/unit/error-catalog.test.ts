import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ClarusError, errorCatalog, type ErrorCode } from '../../src/domain/error-catalog.ts';

const codes = Object.keys(errorCatalog) as ErrorCode[];

describe('error catalog', () => {
  test('is not empty', () => {
    assert.ok(codes.length >= 20);
  });

  test('every code starts with CLARUS_ERR_ and is upper snake case', () => {
    for (const code of codes) assert.match(code, /^CLARUS_ERR_[A-Z0-9]+(?:_[A-Z0-9]+)*$/);
  });

  test('every status is an integer 4xx or 5xx', () => {
    for (const code of codes) {
      const { status } = errorCatalog[code];
      assert.ok(Number.isInteger(status) && status >= 400 && status <= 599, `${code}: ${status}`);
    }
  });

  test('every message is a non-empty sentence with no placeholder, template or stack-like text', () => {
    for (const code of codes) {
      const { message } = errorCatalog[code];
      assert.ok(message.trim().length > 0, code);
      assert.equal(message, message.trim(), code);
      assert.match(message, /[.!?]$/, `${code}: ends as a sentence`);
      assert.equal(message.includes('{'), false, `${code}: no placeholder`);
      assert.equal(message.includes('}'), false, code);
      assert.equal(message.includes('${'), false, code);
      assert.equal(message.includes('%s'), false, code);
      assert.doesNotMatch(message, /\n/, code);
      assert.doesNotMatch(message, /\bat\s+\S+\s+\(|\bat\s+\S+:\d+:\d+|\.[cm]?[jt]s:\d+|node:internal|node_modules/, `${code}: no stack frame`);
      assert.doesNotMatch(message, /\b(?:[A-Z][a-z]+)?Error:|\bundefined\b|\bnull\b|\bNaN\b|\[object /, `${code}: no raw error text`);
      assert.doesNotMatch(message, /\b(?:SQL|sql|postgres|kysely|fastify|argon2|stack)\b/i, `${code}: no internals`);
    }
  });

  test('the well-known codes have the expected statuses', () => {
    assert.equal(errorCatalog.CLARUS_ERR_VALIDATION.status, 400);
    assert.equal(errorCatalog.CLARUS_ERR_UNAUTHENTICATED.status, 401);
    assert.equal(errorCatalog.CLARUS_ERR_FORBIDDEN.status, 403);
    assert.equal(errorCatalog.CLARUS_ERR_NOT_FOUND.status, 404);
    assert.equal(errorCatalog.CLARUS_ERR_RATE_LIMITED.status, 429);
    assert.equal(errorCatalog.CLARUS_ERR_INTERNAL.status, 500);
  });

  test('the sign-in failure message does not reveal whether the account exists', () => {
    assert.doesNotMatch(errorCatalog.CLARUS_ERR_AUTH_FAILED.message, /exist|unknown|no such|not found|not registered/i);
  });
});

describe('ClarusError', () => {
  test('carries the code, the status and the message of its catalog entry', () => {
    for (const code of codes) {
      const error = new ClarusError(code);
      assert.ok(error instanceof Error);
      assert.ok(error instanceof ClarusError);
      assert.equal(error.code, code);
      assert.equal(error.status, errorCatalog[code].status);
      assert.equal(error.message, errorCatalog[code].message);
      assert.equal(error.fields, undefined);
    }
  });

  test('carries field problems when given', () => {
    const fields = [{ path: 'email', message: 'must be an e-mail address' }];
    const error = new ClarusError('CLARUS_ERR_VALIDATION', fields);
    assert.equal(error.status, 400);
    assert.deepEqual(error.fields, fields);
  });

  test('can be thrown and recognised by status', () => {
    assert.throws(() => { throw new ClarusError('CLARUS_ERR_AUTH_LOCKED'); },
      (error: unknown) => error instanceof ClarusError && error.status === 429 && error.code === 'CLARUS_ERR_AUTH_LOCKED');
  });
});
