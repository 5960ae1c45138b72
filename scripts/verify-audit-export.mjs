#!/usr/bin/env node
// Standalone verifier of a Clarus audit log export (`clarus audit export --out log.jsonl`).
// Needs only Node: it rebuilds every leaf from the entry's fields (docs/audit-log.md), the RFC 9162
// Merkle tree, and checks every checkpoint's root and Ed25519 signature. Exit 0 when intact, 1 with
// the first problem otherwise. Usage: node verify-audit-export.mjs log.jsonl [--public-key key.pem]
import { createHash, createPublicKey, verify } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

const [file, flag, keyFile] = process.argv.slice(2);
if (!file) {
  console.error('usage: verify-audit-export.mjs <export.jsonl> [--public-key <pem file>]');
  process.exit(2);
}
const sha256 = (...parts) => parts.reduce((h, p) => h.update(p), createHash('sha256')).digest();
const leafHash = (bytes) => sha256(Buffer.from([0]), bytes);
const nodeHash = (l, r) => sha256(Buffer.from([1]), l, r);

function canonical(e) {
  const details = `{${Object.keys(e.details).sort().map((k) => `${JSON.stringify(k)}:${JSON.stringify(e.details[k])}`).join(',')}}`;
  const head = JSON.stringify({
    v: 1, seq: e.seq, at: e.at, tenant: e.tenantId, actorKind: e.actorKind, actor: e.actorId, action: e.action,
    resourceType: e.resourceType, resourceId: e.resourceId, patient: e.patientId, outcome: e.outcome,
    source: e.sourceAddress, request: e.requestId,
  });
  return Buffer.from(`${head.slice(0, -1)},"details":${details}}`, 'utf8');
}

const frontier = [];
function append(leaf) {
  let node = { size: 1, hash: leaf };
  while (frontier.length > 0 && frontier.at(-1).size === node.size) node = { size: node.size * 2, hash: nodeHash(frontier.pop().hash, node.hash) };
  frontier.push(node);
}
function root() {
  let r = frontier.at(-1).hash;
  for (let i = frontier.length - 2; i >= 0; i--) r = nodeHash(frontier[i].hash, r);
  return r;
}

let publicKey = flag === '--public-key' && keyFile ? readFileSync(keyFile, 'utf8') : undefined;
const leaves = [];
const checkpoints = [];
for await (const line of createInterface({ input: createReadStream(file) })) {
  if (line.trim() === '') continue;
  const record = JSON.parse(line);
  if (record.type === 'header') publicKey ??= record.publicKeyPem;
  else if (record.type === 'entry') leaves.push(record);
  else if (record.type === 'checkpoint') checkpoints.push(record);
}
const fail = (message) => {
  console.error(`FAILED: ${message}`);
  process.exit(1);
};
if (!publicKey) fail('no public key (pass --public-key, or use an export with its header)');
if (publicKey && flag !== '--public-key') console.error('note: using the public key inside the export; pass --public-key with the key you trust');
checkpoints.sort((a, b) => a.treeSize - b.treeSize);
let cp = 0;
for (const [index, entry] of leaves.entries()) {
  if (entry.seq !== index) fail(`entry ${index} is missing (found ${entry.seq} in its place)`);
  const hash = leafHash(canonical(entry));
  if (entry.leafHash && !hash.equals(Buffer.from(entry.leafHash, 'base64'))) fail(`entry ${entry.seq} was altered (content does not match its leaf hash)`);
  append(hash);
  while (cp < checkpoints.length && checkpoints[cp].treeSize === index + 1) {
    const c = checkpoints[cp];
    if (!root().equals(Buffer.from(c.rootHash, 'base64'))) fail(`checkpoint at tree size ${c.treeSize}: root hash does not match the entries`);
    const statement = Buffer.from(`clarus-audit-checkpoint/v1\n${c.treeSize}\n${c.rootHash}\n${c.at}\n`, 'utf8');
    if (!verify(null, statement, createPublicKey(publicKey), Buffer.from(c.signature, 'base64'))) fail(`checkpoint at tree size ${c.treeSize}: invalid signature`);
    cp += 1;
  }
}
if (cp < checkpoints.length) fail(`checkpoint at tree size ${checkpoints[cp].treeSize} covers entries missing from the export (it has ${leaves.length})`);
console.log(`OK: ${leaves.length} entries, ${checkpoints.length} checkpoints verified`);
