import { useEffect, useState } from 'react';
import { type ApiError, ErrorCode, toApiError } from '../../api/errors';
import type { PatientView } from '../../api/patient-types';
import { getPatient, updatePatient } from '../../api/patients';
import { ErrorMessage } from '../../components/ErrorMessage';
import { AppShell } from '../../layout/AppShell';
import { useCan } from '../../permissions';
import { Link } from '../../router/Link';
import { disclosuresPath, paths } from '../../router/paths';
import { AccessBadge, BreakGlassBanner } from './AccessBadge';
import { CareTeamSection } from './CareTeamSection';
import { ConsentSection } from './ConsentSection';
import { DangerZone } from './DangerZone';
import { Demographics } from './Demographics';
import { PatientForm } from './PatientForm';
import { PatientNotFound } from './PatientNotFound';
import { StudiesSection } from '../images/StudiesSection';
import { toPatch } from './patientFields';

type Load = { status: 'loading' } | { status: 'found'; view: PatientView } | { status: 'not-found' } | { status: 'error'; error: ApiError };

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/iu;

/**
 * `/patients/:id`: demographics as far as the user's role shows them, why the user sees the patient,
 * the care team, and (Administrators) editing and, set apart, permanent erasure. A patient out of reach
 * answers 404 like a missing one; Clinicians and Viewers are then offered break-the-glass.
 */
export function PatientPage({ id }: { id: string }) {
  const can = useCan();
  const [load, setLoad] = useState<Load>(() => (uuid.test(id) ? { status: 'loading' } : { status: 'not-found' }));
  const [editing, setEditing] = useState(false);

  useEffect(() => {
    if (!uuid.test(id)) return;
    let current = true;
    getPatient(id).then(
      (view) => current && setLoad({ status: 'found', view }),
      (caught: unknown) => {
        if (!current) return;
        const error = toApiError(caught);
        setLoad(error.code === ErrorCode.notFound ? { status: 'not-found' } : { status: 'error', error });
      },
    );
    return () => {
      current = false;
    };
  }, [id]);

  const title = load.status === 'found' ? `${load.view.patient.familyName}, ${load.view.patient.givenName}` : 'Patient';
  const back = (
    <p>
      <Link to={paths.patients}>← Patients</Link>
    </p>
  );

  if (load.status !== 'found') {
    return (
      <AppShell title={title}>
        {back}
        {load.status === 'loading' && <p role="status">Loading the patient…</p>}
        {load.status === 'error' && <ErrorMessage error={load.error} />}
        {load.status === 'not-found' && (
          <PatientNotFound patientId={uuid.test(id) ? id : null} canBreakGlass={can('patients.break-glass')}
            onOpened={(view) => setLoad({ status: 'found', view })} />
        )}
      </AppShell>
    );
  }

  const { view } = load;
  const canEdit = can('patients.update') && view.fields === 'full';
  return (
    <AppShell title={title}>
      {back}
      {view.access.via === 'break-glass' && <BreakGlassBanner expiresAt={view.access.expiresAt} />}
      <div className="page-head">
        <h1 data-testid="patient-name">
          {view.patient.familyName}, {view.patient.givenName}
        </h1>
        <span data-testid="access-badge">
          <AccessBadge access={view.access} />
        </span>
        {canEdit && !editing && (
          <button type="button" className="button" onClick={() => setEditing(true)} data-testid="edit-patient">
            Edit
          </button>
        )}
      </div>
      <section className="panel" aria-labelledby="demographics-title">
        <h2 id="demographics-title">{editing ? 'Edit details' : 'Details'}</h2>
        {editing ? (
          <PatientForm
            patient={view.patient}
            submitLabel="Save changes"
            pendingLabel="Saving…"
            onSubmit={async (values, before) => {
              const patch = toPatch(before, values);
              if (Object.keys(patch).length > 0) setLoad({ status: 'found', view: await updatePatient(id, patch) });
              setEditing(false);
            }}
            onCancel={() => setEditing(false)}
          />
        ) : (
          <Demographics view={view} />
        )}
      </section>
      {can('images.read') && (
        <StudiesSection patientId={id} canUpload={can('images.upload')} canExport={can('research.export')} patientName={title} />
      )}
      {view.fields === 'full' && <ConsentSection patientId={id} canManage={can('consents.manage')} />}
      {can('care-team.read') && <CareTeamSection patientId={id} canManage={can('care-team.manage') && can('users.manage')} />}
      {can('audit.read') && (
        <p>
          <Link to={disclosuresPath(id)} data-testid="disclosures-link">Accounting of disclosures</Link>
          <span className="muted"> — who accessed this patient’s data, and when</span>
        </p>
      )}
      {can('patients.erase') && view.fields === 'full' && <DangerZone patientId={id} mrn={view.patient.mrn} />}
    </AppShell>
  );
}
