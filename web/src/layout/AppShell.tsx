import type { ReactNode } from 'react';
import { usePageTitle } from '../hooks/usePageTitle';
import { Link } from '../router/Link';
import { usePathname } from '../router/history';
import { paths } from '../router/paths';
import { uploadDicomPath } from '../router/imagePaths';
import { can } from '../permissions';
import { useMe, useSession } from '../session/SessionContext';

/** A top-bar link; `section` also marks it current on the pages under it (`/patients/…`). */
function NavLink({ to, section = false, children }: { to: string; section?: boolean; children: ReactNode }) {
  const path = usePathname();
  const exact = path === to;
  const current = exact || (section && path.startsWith(`${to}/`));
  return (
    <Link to={to} className={current ? 'nav-link nav-link-current' : 'nav-link'} aria-current={exact ? 'page' : current ? 'true' : undefined}>
      {children}
    </Link>
  );
}

/** The frame of every signed-in page: top bar with navigation and sign-out, then the page. */
export function AppShell({ title, children }: { title: string; children: ReactNode }) {
  usePageTitle(title);
  const me = useMe();
  const { signOut } = useSession();
  const isAdmin = me.user.roles.includes('Administrator');
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to={paths.home} className="topbar-brand">
          <span className="brand-mark" aria-hidden="true">
            C
          </span>
          <span className="brand-name">Clarus</span>
          <span className="topbar-tenant">{me.user.tenant.name}</span>
        </Link>
        <nav aria-label="Main" className="topbar-nav">
          <NavLink to={paths.home}>Home</NavLink>
          <NavLink to={paths.account}>Account</NavLink>
          {can(me, 'patients.read') && (
            <NavLink to={paths.patients} section>
              Patients
            </NavLink>
          )}
          {can(me, 'images.upload') && <NavLink to={uploadDicomPath}>Upload DICOM</NavLink>}
          {can(me, 'reconciliation.manage') && <NavLink to={paths.reconciliation}>Reconciliation</NavLink>}
          {can(me, 'research.export') && <NavLink to={paths.researchExports}>Research exports</NavLink>}
          {isAdmin && <NavLink to={paths.adminUsers}>Users</NavLink>}
          {can(me, 'service-accounts.manage') && <NavLink to={paths.adminServiceAccounts}>Service accounts</NavLink>}
          {can(me, 'tenant-settings.manage') && <NavLink to={paths.adminSettings}>Settings</NavLink>}
          {can(me, 'keys.read') && <NavLink to={paths.adminKeys}>Encryption keys</NavLink>}
          {can(me, 'deid.configure') && <NavLink to={paths.adminDeid}>De-identification</NavLink>}
          {can(me, 'audit.read') && <NavLink to={paths.adminAudit}>Audit</NavLink>}
        </nav>
        <div className="topbar-user">
          <span className="topbar-email" data-testid="user-email">
            {me.user.email}
          </span>
          <button type="button" className="button button-small" onClick={() => void signOut()} data-testid="sign-out">
            Sign out
          </button>
        </div>
      </header>
      <main id="main" className="content" tabIndex={-1}>
        {children}
      </main>
    </div>
  );
}
