import { createHash } from 'node:crypto';

/**
 * Merkle tree hashing of RFC 9162 (Certificate Transparency v2) §2.1: SHA-256, leaves hashed with a
 * 0x00 prefix and interior nodes with 0x01, so that a leaf can never pass for a node (second-preimage
 * resistance). MTH of n leaves splits at k, the largest power of two smaller than n.
 */
export function leafHash(leaf: Uint8Array): Buffer {
  return createHash('sha256').update(Buffer.from([0])).update(leaf).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(Buffer.from([1])).update(left).update(right).digest();
}

/** SHA-256 of the empty string: the root of an empty tree (RFC 9162 §2.1.1). */
export const emptyRoot = createHash('sha256').digest();

/** Largest power of two strictly smaller than n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Exact for every safe integer (no 32-bit bit operations: logs may grow past 2^31 entries). */
function isPowerOfTwo(n: number): boolean {
  let x = n;
  while (x > 1 && x % 2 === 0) x /= 2;
  return x === 1;
}

const odd = (n: number): boolean => n % 2 === 1;
const half = (n: number): number => Math.floor(n / 2);

/** MTH over leaf hashes, by definition (used by tests and by small trees). */
export function rootOf(leaves: readonly Uint8Array[]): Buffer {
  if (leaves.length === 0) return emptyRoot;
  if (leaves.length === 1) return Buffer.from(leaves[0] as Uint8Array);
  const k = splitPoint(leaves.length);
  return nodeHash(rootOf(leaves.slice(0, k)), rootOf(leaves.slice(k)));
}

/**
 * The hash of any range [start, end) of leaves, from a source of *aligned perfect* subtree hashes
 * (level L, index i covers leaves [i·2^L, (i+1)·2^L)). Any range of the RFC's recursion splits into
 * such subtrees, so proofs need O(log n) lookups instead of reading every leaf.
 */
export type PerfectSubtree = (level: number, index: number) => Promise<Buffer>;

export async function rangeHash(start: number, end: number, subtree: PerfectSubtree): Promise<Buffer> {
  const size = end - start;
  if (size <= 0) throw new Error('empty range');
  // Aligned power-of-two range: stored directly.
  if (isPowerOfTwo(size) && start % size === 0) return subtree(Math.round(Math.log2(size)), start / size);
  const k = splitPoint(size);
  return nodeHash(await rangeHash(start, start + k, subtree), await rangeHash(start + k, end, subtree));
}

/** Inclusion proof (audit path) of leaf m in the tree of size n: RFC 9162 §2.1.3.1. */
export async function inclusionProof(m: number, n: number, subtree: PerfectSubtree, offset = 0): Promise<Buffer[]> {
  if (m < 0 || m >= n) throw new Error('leaf index out of range');
  if (n === 1) return [];
  const k = splitPoint(n);
  if (m < k) return [...(await inclusionProof(m, k, subtree, offset)), await rangeHash(offset + k, offset + n, subtree)];
  return [...(await inclusionProof(m - k, n - k, subtree, offset + k)), await rangeHash(offset, offset + k, subtree)];
}

/** Consistency proof between tree sizes m ≤ n: RFC 9162 §2.1.4.1 (SUBPROOF). */
export async function consistencyProof(m: number, n: number, subtree: PerfectSubtree): Promise<Buffer[]> {
  if (m < 1 || m > n) throw new Error('tree sizes out of range');
  if (m === n) return [];
  const sub = async (first: number, size: number, offset: number, complete: boolean): Promise<Buffer[]> => {
    if (first === size) return complete ? [] : [await rangeHash(offset, offset + size, subtree)];
    const k = splitPoint(size);
    if (first <= k) return [...(await sub(first, k, offset, complete)), await rangeHash(offset + k, offset + size, subtree)];
    return [...(await sub(first - k, size - k, offset + k, false)), await rangeHash(offset, offset + k, subtree)];
  };
  return sub(m, n, 0, true);
}

/** Verifies an inclusion proof: RFC 9162 §2.1.3.2. */
export function verifyInclusion(leaf: Uint8Array, m: number, n: number, proof: readonly Uint8Array[], root: Uint8Array): boolean {
  if (m < 0 || m >= n) return false;
  let fn = m;
  let sn = n - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of proof) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      r = nodeHash(p, r);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && r.equals(Buffer.from(root));
}

/** Verifies a consistency proof between (m, oldRoot) and (n, newRoot): RFC 9162 §2.1.4.2. */
export function verifyConsistency(m: number, n: number, proof: readonly Uint8Array[], oldRoot: Uint8Array, newRoot: Uint8Array): boolean {
  if (m < 1 || m > n) return false;
  if (m === n) return proof.length === 0 && Buffer.from(oldRoot).equals(Buffer.from(newRoot));
  let path = proof.map((p) => Buffer.from(p));
  // If m is a power of two, the old root is the first node of the proof.
  if (isPowerOfTwo(m)) path = [Buffer.from(oldRoot), ...path];
  if (path.length === 0) return false;
  let fn = m - 1;
  let sn = n - 1;
  while (odd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  let fr: Buffer = path[0] as Buffer;
  let sr: Buffer = path[0] as Buffer;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (odd(fn) || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (!odd(fn)) {
        while (!odd(fn) && fn !== 0) {
          fn = half(fn);
          sn = half(sn);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && fr.equals(Buffer.from(oldRoot)) && sr.equals(Buffer.from(newRoot));
}
