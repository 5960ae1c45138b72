/** Who is asking, as established by authentication; every service call that touches data takes it. */
export interface Principal {
  /** A person with a session, or a service account with an API key (ROLE-4). */
  kind: 'user' | 'service';
  tenantId: string;
  /** The user id, or the service account id. */
  userId: string;
  /** Empty for service accounts. */
  sessionId: string;
  stage: 'enrol-totp' | 'mfa' | 'full';
  roles: string[];
  stepUpAt: Date | null;
  /** Service accounts may be limited to some patients; null means no limit beyond the role. */
  patientRestriction: string[] | null;
}

/** Where a request came from, for security events (never PHI). */
export interface RequestOrigin {
  sourceAddress: string | null;
  requestId: string | null;
}
