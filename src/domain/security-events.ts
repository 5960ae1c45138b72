/**
 * Security event classes from the security policy ("Security Event Classification") and MON-1.
 * Critical: data breach, unauthorized PHI access. High: authentication bypass, privilege escalation.
 * Medium: DoS, suspicious activity. Low: failed sign-ins, minor configuration issues.
 */
export const severities = ['Critical', 'High', 'Medium', 'Low'] as const;
export type Severity = (typeof severities)[number];

/** The catalog of security event kinds and their class; later capabilities add to it. */
export const securityEventKinds = {
  'auth.sign-in-failed': 'Low',
  'auth.lockout': 'Medium',
  'auth.address-throttled': 'Medium',
  'auth.refresh-token-reuse': 'High',
  'auth.mfa-failed': 'Low',
  'auth.recovery-code-used': 'Medium',
  'auth.password-changed': 'Low',
  'auth.sessions-revoked': 'Low',
  'users.roles-changed': 'Medium',
  'users.disabled': 'Low',
  'config.weak-development-secrets': 'Low',
  'access.break-glass': 'High',
  'access.care-team-changed': 'Low',
  'apikeys.created': 'Medium',
  'apikeys.revoked': 'Low',
  'apikeys.invalid': 'Low',
  'tenant.settings-changed': 'Medium',
  'audit.verification-failed': 'Critical',
  'audit.unavailable': 'High',
  'access.probing': 'Medium',
  // Policy: encryption/decryption errors are High (a key lost, or data altered at rest).
  'crypto.decrypt-failed': 'High',
  'crypto.encrypt-failed': 'High',
  'keys.rotated': 'Low',
  'keys.root-rotated': 'Medium',
  'patient.erased': 'Medium',
  // MON-1: malware is Critical (policy: "data breach" class risk); oversize uploads are suspicious.
  'ingest.malware': 'Critical',
  'ingest.oversize': 'Medium',
  'ingest.refused': 'Low',
  // DIMSE (DCM-2): a changed allow-list is an access change; a refused association may be probing.
  'dimse.peers-changed': 'Medium',
  'dimse.association-rejected': 'Low',
} as const satisfies Record<string, Severity>;

export type SecurityEventKind = keyof typeof securityEventKinds;
