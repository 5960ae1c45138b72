import type { Stage } from '../api/types';

/** Every in-app path. */
export const paths = {
  home: '/',
  signIn: '/sign-in',
  verify: '/sign-in/verify',
  enrol: '/enrol',
  setupTotp: '/setup-authenticator',
  account: '/account',
  adminUsers: '/admin/users',
  patients: '/patients',
  newPatient: '/patients/new',
  adminServiceAccounts: '/admin/service-accounts',
  adminSettings: '/admin/settings',
  adminAudit: '/admin/audit',
  adminKeys: '/admin/keys',
  adminDeid: '/admin/de-identification',
  reconciliation: '/images/reconciliation',
  researchExports: '/research/exports',
} as const;

/** The page of one patient. */
export function patientPath(id: string): string {
  return `${paths.patients}/${encodeURIComponent(id)}`;
}

/** The accounting of disclosures of one patient. */
export function disclosuresPath(id: string): string {
  return `${patientPath(id)}/disclosures`;
}

/** The decoded id segment of a path, or null when it is missing or `new`. */
function idSegment(match: RegExpExecArray | null): string | null {
  const segment = match?.[1];
  if (segment === undefined || segment === 'new') return null;
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The patient id of a `/patients/<id>` path (any segment but `new`), or null. */
export function patientIdOf(path: string): string | null {
  return idSegment(/^\/patients\/([^/]+)$/u.exec(path));
}

/** The patient id of a `/patients/<id>/disclosures` path, or null. */
export function disclosuresIdOf(path: string): string | null {
  return idSegment(/^\/patients\/([^/]+)\/disclosures$/u.exec(path));
}

/** Pages that belong to signing in; a fully signed-in user is sent on from them. */
const SIGN_IN_PAGES: readonly string[] = [paths.signIn, paths.verify, paths.setupTotp];

/** In memory only (never storage): where to go once sign-in is complete. */
let returnTo: string = paths.home;

/** Remembers a requested page to come back to after sign-in. */
export function rememberReturnTo(path: string): void {
  if (!SIGN_IN_PAGES.includes(path) && path !== paths.enrol) returnTo = path;
}

/** Forgets the remembered page (on an explicit sign-out). */
export function resetReturnTo(): void {
  returnTo = paths.home;
}

/** Drops a trailing slash so that `/account/` and `/account` are the same page. */
export function normalisePath(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.replace(/\/+$/u, '') || '/' : path;
}

/**
 * Where a visitor at `path` must be sent given the session stage (null: no session), or null to
 * stay. The enrolment page is always reachable: it carries its own token.
 */
export function redirectFor(path: string, stage: Stage | null): string | null {
  if (path === paths.enrol) return null;
  switch (stage) {
    case null:
      if (path === paths.signIn) return null;
      rememberReturnTo(path);
      return paths.signIn;
    case 'mfa':
      if (path === paths.verify) return null;
      rememberReturnTo(path);
      return paths.verify;
    case 'enrol-totp':
      if (path === paths.setupTotp) return null;
      rememberReturnTo(path);
      return paths.setupTotp;
    case 'full':
      return SIGN_IN_PAGES.includes(path) ? returnTo : null;
  }
}
