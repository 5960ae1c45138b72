import { createPatient } from '../../api/patients';
import { AppShell } from '../../layout/AppShell';
import { useCan } from '../../permissions';
import { navigate } from '../../router/history';
import { Link } from '../../router/Link';
import { patientPath, paths } from '../../router/paths';
import { PatientForm } from './PatientForm';
import { toInput } from './patientFields';

/** `/patients/new` (Administrator, Technician): registers a patient, then opens their page. */
export function NewPatientPage() {
  const can = useCan();
  return (
    <AppShell title="New patient">
      <p>
        <Link to={paths.patients}>← Patients</Link>
      </p>
      <h1>New patient</h1>
      {can('patients.create') ? (
        <section className="panel" aria-label="Patient details">
          <PatientForm
            submitLabel="Create patient"
            pendingLabel="Creating…"
            onSubmit={async (values) => {
              const created = await createPatient(toInput(values));
              navigate(patientPath(created.patient.id));
            }}
            onCancel={() => navigate(paths.patients)}
          />
        </section>
      ) : (
        <p className="alert alert-error" role="alert">
          Your role cannot register patients. Ask an administrator or a technician.
        </p>
      )}
    </AppShell>
  );
}
