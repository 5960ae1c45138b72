import { AppShell } from '../layout/AppShell';
import { Link } from '../router/Link';
import { paths } from '../router/paths';

/** Any path the app does not know. */
export function NotFoundPage() {
  return (
    <AppShell title="Page not found">
      <h1>Page not found</h1>
      <p>There is no page at this address.</p>
      <p>
        <Link to={paths.home}>Go to the home page</Link>
      </p>
    </AppShell>
  );
}
