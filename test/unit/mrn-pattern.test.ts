import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mrnPatternProblem } from '../../src/domain/mrn-pattern.ts';

test('ordinary MRN formats are accepted', () => {
  for (const pattern of ['^[A-Z0-9][A-Z0-9-]{2,19}$', '^\\d{8}$', '^MRN-\\d{6}$', '^[A-Z]{2}\\d{4,10}$', '[0-9]+']) {
    assert.equal(mrnPatternProblem(pattern), undefined, pattern);
  }
});

test('patterns that can backtrack catastrophically are refused (ReDoS, CWE-1333)', () => {
  for (const pattern of ['^(A+)+$', '^(a|aa)+$', '^(\\d+)*$', '^A*A*A*A*A*$', '(?<x>a)\\k<x>', '^[A-Z]+|[0-9]+$', 'a'.repeat(201)]) {
    assert.notEqual(mrnPatternProblem(pattern), undefined, pattern);
  }
});

test('the worst accepted pattern on the longest MRN stays fast', () => {
  const pattern = '^A*A*A*#$';
  assert.equal(mrnPatternProblem(pattern), undefined);
  const started = process.hrtime.bigint();
  assert.equal(new RegExp(pattern, 'u').test('A'.repeat(63)), false);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  assert.ok(ms < 500, `took ${ms.toFixed(1)} ms`);
});
