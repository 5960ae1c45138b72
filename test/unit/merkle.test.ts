import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  consistencyProof, inclusionProof, leafHash, rootOf, verifyConsistency, verifyInclusion, type PerfectSubtree,
} from '../../src/audit/merkle.ts';

function leaves(n: number, seed: number): Buffer[] {
  return Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`entry-${seed}-${i}`)));
}

/** Aligned perfect subtrees computed from the leaves, as the audit database stores them. */
function source(hashes: Buffer[]): PerfectSubtree {
  return async (level, index) => rootOf(hashes.slice(index * 2 ** level, (index + 1) * 2 ** level));
}

describe('RFC 9162 Merkle tree', () => {
  test('leaf and node hashes use the 0x00 / 0x01 prefixes', () => {
    assert.deepEqual(leafHash(Buffer.alloc(0)), createHash('sha256').update(Buffer.from([0])).digest());
    const [a, b] = leaves(2, 0) as [Buffer, Buffer];
    assert.deepEqual(rootOf([a, b]), createHash('sha256').update(Buffer.from([1])).update(a).update(b).digest());
  });

  test('inclusion proofs verify for every leaf of random trees, and altered proofs are rejected', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 300 }), fc.nat(), fc.integer(), async (n, mSeed, seed) => {
      const hashes = leaves(n, seed);
      const m = mSeed % n;
      const root = rootOf(hashes);
      const proof = await inclusionProof(m, n, source(hashes));
      assert.ok(verifyInclusion(hashes[m] as Buffer, m, n, proof, root));
      // Adversarial: another leaf, another index, a flipped bit, a dropped or extra node.
      if (n > 1) {
        assert.ok(!verifyInclusion(hashes[(m + 1) % n] as Buffer, m, n, proof, root));
        assert.ok(!verifyInclusion(hashes[m] as Buffer, (m + 1) % n, n, proof, root));
      }
      if (proof.length > 0) {
        const flipped = proof.map((p) => Buffer.from(p));
        (flipped[0] as Buffer)[0] = ((flipped[0] as Buffer)[0] as number) ^ 1;
        assert.ok(!verifyInclusion(hashes[m] as Buffer, m, n, flipped, root));
        assert.ok(!verifyInclusion(hashes[m] as Buffer, m, n, proof.slice(1), root));
      }
      assert.ok(!verifyInclusion(hashes[m] as Buffer, m, n, [...proof, Buffer.alloc(32)], root));
    }), { numRuns: 150 });
  });

  test('consistency proofs verify between random sizes, and forged ones are rejected', async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 1, max: 300 }), fc.nat(), fc.integer(), async (n, mSeed, seed) => {
      const hashes = leaves(n, seed);
      const m = 1 + (mSeed % n);
      const oldRoot = rootOf(hashes.slice(0, m));
      const newRoot = rootOf(hashes);
      const proof = await consistencyProof(m, n, source(hashes));
      assert.ok(verifyConsistency(m, n, proof, oldRoot, newRoot));
      if (m < n) {
        // A fork: the same old size with a different history must not be consistent.
        const forked = rootOf([...hashes.slice(0, m - 1), leafHash(Buffer.from('forged'))]);
        assert.ok(!verifyConsistency(m, n, proof, forked, newRoot));
        assert.ok(!verifyConsistency(m, n, proof, oldRoot, rootOf([...hashes.slice(0, n - 1), leafHash(Buffer.from('x'))])));
        if (proof.length > 0) assert.ok(!verifyConsistency(m, n, proof.slice(0, -1), oldRoot, newRoot));
      }
    }), { numRuns: 150 });
  });
});

describe('large trees', () => {
  test('proof verification stays exact past 2^31 leaves (no 32-bit arithmetic)', async () => {
    // A tree of 2^31 + 5 equal leaves is never built: the hash of a perfect subtree of equal leaves
    // depends only on its level, so it is computed per level, consistently with the RFC's definition.
    const n = 2 ** 31 + 5;
    const levels = [leafHash(Buffer.from('same'))];
    for (let level = 1; level <= 32; level++) levels.push(rootOf([levels[level - 1] as Buffer, levels[level - 1] as Buffer]));
    const synthetic: PerfectSubtree = async (level) => levels[level] as Buffer;
    const { rangeHash } = await import('../../src/audit/merkle.ts');
    const root = await rangeHash(0, n, synthetic);
    for (const m of [0, 2 ** 31 - 1, 2 ** 31, n - 1]) {
      const proof = await inclusionProof(m, n, synthetic);
      assert.ok(verifyInclusion(await synthetic(0, m), m, n, proof, root), `leaf ${m}`);
    }
    const old = 2 ** 31 + 1;
    const consistency = await consistencyProof(old, n, synthetic);
    assert.ok(verifyConsistency(old, n, consistency, await rangeHash(0, old, synthetic), root));
  });
});
