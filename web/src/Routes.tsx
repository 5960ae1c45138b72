import { AccountPage } from './pages/AccountPage';
import { AdminUsersPage } from './pages/AdminUsersPage';
import { EnrolPage } from './pages/EnrolPage';
import { HomePage } from './pages/home/HomePage';
import { MfaPage } from './pages/MfaPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { SignInPage } from './pages/SignInPage';
import { TotpSetupPage } from './pages/TotpSetupPage';
import { StartupPage } from './pages/StartupPage';
import { usePathname } from './router/history';
import { normalisePath, paths, redirectFor } from './router/paths';
import { Redirect } from './router/Redirect';
import { useSession } from './session/SessionContext';

function page(path: string) {
  switch (path) {
    case paths.home:
      return <HomePage />;
    case paths.signIn:
      return <SignInPage />;
    case paths.verify:
      return <MfaPage />;
    case paths.enrol:
      return <EnrolPage />;
    case paths.setupTotp:
      return <TotpSetupPage />;
    case paths.account:
      return <AccountPage />;
    case paths.adminUsers:
      return <AdminUsersPage />;
    default:
      return <NotFoundPage />;
  }
}

/** Picks the page for the current path, after sending the visitor where the session stage allows. */
export function Routes() {
  const path = normalisePath(usePathname());
  const { state } = useSession();
  if (state.status === 'loading' || state.status === 'error') return <StartupPage state={state} />;
  const stage = state.status === 'signed-in' ? state.me.stage : null;
  const target = redirectFor(path, stage);
  if (target !== null && target !== path) return <Redirect to={target} />;
  return page(path);
}
