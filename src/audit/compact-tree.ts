import { emptyRoot, nodeHash } from './merkle.ts';

/**
 * A Merkle tree kept as its frontier of perfect subtrees (largest first), so that appending a leaf and
 * computing the RFC 9162 root take O(log n) memory and time.
 */
export class CompactTree {
  private readonly frontier: { size: number; hash: Buffer }[] = [];
  size = 0;

  append(leaf: Buffer): void {
    let node = { size: 1, hash: leaf };
    let last = this.frontier.at(-1);
    while (last && last.size === node.size) {
      this.frontier.pop();
      node = { size: node.size * 2, hash: nodeHash(last.hash, node.hash) };
      last = this.frontier.at(-1);
    }
    this.frontier.push(node);
    this.size += 1;
  }

  root(): Buffer {
    if (this.frontier.length === 0) return emptyRoot;
    let root = (this.frontier.at(-1) as { hash: Buffer }).hash;
    for (let i = this.frontier.length - 2; i >= 0; i--) root = nodeHash((this.frontier[i] as { hash: Buffer }).hash, root);
    return root;
  }
}
