import { useEffect } from 'react';
import { listServiceAccounts } from '../../api/admin';
import { AdminOnly } from '../../components/AdminOnly';
import { ErrorMessage } from '../../components/ErrorMessage';
import { useLoaded } from '../../hooks/useLoaded';
import { ServiceAccountForm } from './ServiceAccountForm';
import { ServiceAccountRow } from './ServiceAccountRow';

/** `/admin/service-accounts` (Administrator): service accounts, their API keys, new accounts, revocation. */
export function ServiceAccountsPage() {
  return (
    <AdminOnly title="Service accounts" permission="service-accounts.manage">
      <ServiceAccounts />
    </AdminOnly>
  );
}

function ServiceAccounts() {
  const { value: accounts, error, load } = useLoaded(listServiceAccounts);

  // Shown only inside AdminOnly, so the user may list service accounts.
  useEffect(() => {
    void load();
  }, [load]);

  return (
    <>
      <p className="lead">
        Other systems (a PACS, a scanner gateway, a script) call Clarus with an API key. Each key acts with one
        role, optionally only for some patients, and expires.
      </p>
      <ServiceAccountForm onCreated={() => void load()} />
      <section className="panel" aria-labelledby="accounts-title">
        <h2 id="accounts-title">Service accounts</h2>
        <ErrorMessage error={error} />
        {accounts === null && error === null && <p role="status">Loading service accounts…</p>}
        {accounts !== null && accounts.length === 0 && <p>No service accounts yet.</p>}
        {accounts !== null && accounts.length > 0 && (
          <div className="table-wrap">
            <table className="table" data-testid="service-accounts">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Patients</th>
                  <th scope="col">Created</th>
                  <th scope="col">API keys</th>
                </tr>
              </thead>
              <tbody>
                {accounts.map((account) => (
                  <ServiceAccountRow key={account.id} account={account} onChanged={() => void load()} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
