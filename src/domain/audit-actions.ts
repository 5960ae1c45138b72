/**
 * The catalog of audited actions (AUD-1). Each capability adds its own; entries carry ids only
 * (AUD-3). `failClosed` actions touch PHI or change access: they do not succeed unless their entry is
 * durable. The others (sign-in events, the per-request record) are written best effort and logged
 * when the audit database cannot take them.
 */
export const auditActions = {
  'http.request': { failClosed: false },
  'auth.sign-in': { failClosed: false },
  'auth.second-factor': { failClosed: false },
  'auth.enrolment': { failClosed: false },
  'auth.sign-out': { failClosed: false },
  'auth.sign-out-everywhere': { failClosed: false },
  'auth.refresh-token-reuse': { failClosed: false },
  'auth.password-change': { failClosed: false },
  'auth.step-up': { failClosed: false },
  'patient.read': { failClosed: true },
  'patient.search': { failClosed: true },
  'patient.create': { failClosed: true },
  'patient.update': { failClosed: true },
  'patient.break-glass': { failClosed: true },
  'care-team.assign': { failClosed: true },
  'care-team.remove': { failClosed: true },
  'user.invite': { failClosed: true },
  'user.roles-change': { failClosed: true },
  'user.disable': { failClosed: true },
  'user.enable': { failClosed: true },
  'service-account.create': { failClosed: true },
  'api-key.revoke': { failClosed: true },
  'tenant.settings-change': { failClosed: true },
  'audit.search': { failClosed: true },
  'audit.export': { failClosed: true },
  'audit.disclosures': { failClosed: true },
  'audit.verify': { failClosed: false },
  // KEY-3 and PRIV-2: key operations and erasure are audited (AUD-1), with ids and versions only.
  'key.create': { failClosed: true },
  'key.rotate': { failClosed: true },
  'key.retire': { failClosed: true },
  'key.root-rotate': { failClosed: true },
  'patient.erase': { failClosed: true },
  // Issue 6 (AUD-1): uploads, views, downloads and searches of images; quarantined files.
  'image.upload': { failClosed: true },
  'image.view': { failClosed: true },
  'image.download': { failClosed: true },
  'image.search': { failClosed: true },
  'image.quarantine': { failClosed: true },
  // Unmatched DICOM parked in the reconciliation list, the list read (it shows decrypted identifiers),
  // filed to a patient, or discarded (ids only: the item, and the patient it was filed to).
  'reconciliation.hold': { failClosed: true },
  'reconciliation.list': { failClosed: true },
  'reconciliation.assign': { failClosed: true },
  'reconciliation.discard': { failClosed: true },
  // DIMSE (DCM-2): peers are access changes; each association is recorded like an HTTP request.
  'dimse-peer.add': { failClosed: true },
  'dimse-peer.remove': { failClosed: true },
  'dimse.association': { failClosed: false },
  // Issue 7: consent decisions, pixel reviews, de-identified reads for AI, research exports.
  'consent.record': { failClosed: true },
  'image.pixel-review': { failClosed: true },
  'image.deid-read': { failClosed: true },
  'deid.settings-change': { failClosed: true },
  'research-export.request': { failClosed: true },
  'research-export.complete': { failClosed: true },
  'research-export.download': { failClosed: true },
  'research-export.delete': { failClosed: true },
  'backup.create': { failClosed: false },
  'backup.restore': { failClosed: false },
  'security.event': { failClosed: false },
} as const satisfies Record<string, { failClosed: boolean }>;

export type AuditAction = keyof typeof auditActions;
