import { useEffect, useState } from 'react';
import { listReconciliation } from '../../api/reconciliation';
import { AdminOnly } from '../../components/AdminOnly';
import { ErrorMessage } from '../../components/ErrorMessage';
import { useLoaded } from '../../hooks/useLoaded';
import { ReconciliationRow } from './ReconciliationRow';

/**
 * `/images/reconciliation` (Administrators; Technicians see what they sent): DICOM instances whose
 * Patient ID matched no MRN wait here until they are filed to a patient or discarded.
 */
export function ReconciliationPage() {
  return (
    <AdminOnly title="Reconciliation" permission="reconciliation.manage">
      <Reconciliation />
    </AdminOnly>
  );
}

function Reconciliation() {
  const { value: items, error, load } = useLoaded(listReconciliation);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    void load();
  }, [load]);

  return (
    <>
      <p className="lead">
        DICOM images sent without a patient whose Patient ID (0010,0020) matches no MRN of the organisation wait here,
        encrypted. File each one to its patient, or discard it. The Patient ID and name shown are the file’s own.
      </p>
      {notice !== null && (
        <p className="alert alert-success" role="status" data-testid="reconciliation-notice">
          {notice}
        </p>
      )}
      <section className="panel" aria-labelledby="reconciliation-title">
        <h2 id="reconciliation-title">Waiting images</h2>
        <ErrorMessage error={error} />
        {items === null && error === null && <p role="status">Loading…</p>}
        {items !== null && items.length === 0 && <p data-testid="reconciliation-empty">Nothing is waiting.</p>}
        {items !== null && items.length > 0 && (
          <div className="table-wrap">
            <table className="table" data-testid="reconciliation-table">
              <thead>
                <tr>
                  <th scope="col">Received</th>
                  <th scope="col">Patient ID in the file</th>
                  <th scope="col">Name in the file</th>
                  <th scope="col">Study date</th>
                  <th scope="col">Study</th>
                  <th scope="col">Modality</th>
                  <th scope="col">Via</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {items.map((item) => (
                  <ReconciliationRow key={item.id} item={item} onDone={(message) => {
                    setNotice(message);
                    void load();
                  }} />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
