import type { PatientView } from '../../api/patient-types';
import { formatDate } from '../../format';
import { Link } from '../../router/Link';
import { patientPath } from '../../router/paths';
import { AccessBadge } from './AccessBadge';

/**
 * Search results. The birth date column appears only when the user's role shows birth dates (not a
 * Technician's), the access column only when some patient is reached other than by role.
 */
export function PatientsTable({ patients }: { patients: readonly PatientView[] }) {
  const withBirthDate = patients.some((v) => v.patient.birthDate !== undefined);
  const withAccess = patients.some((v) => v.access.via !== 'role');
  return (
    <div className="table-wrap">
      <table className="table" data-testid="patients-table">
        <thead>
          <tr>
            <th scope="col">MRN</th>
            <th scope="col">Family name</th>
            <th scope="col">Given name</th>
            {withBirthDate && <th scope="col">Birth date</th>}
            {withAccess && <th scope="col">Access</th>}
          </tr>
        </thead>
        <tbody>
          {patients.map(({ patient, access }) => (
            <tr key={patient.id} data-testid="patient-row" data-mrn={patient.mrn}>
              <td>
                <Link to={patientPath(patient.id)} aria-label={`Open ${patient.givenName} ${patient.familyName}, MRN ${patient.mrn}`}>
                  <code>{patient.mrn}</code>
                </Link>
              </td>
              <td>
                <Link to={patientPath(patient.id)} tabIndex={-1}>
                  {patient.familyName}
                </Link>
              </td>
              <td>{patient.givenName}</td>
              {withBirthDate && <td>{patient.birthDate === undefined ? '—' : formatDate(patient.birthDate)}</td>}
              {withAccess && (
                <td>
                  <AccessBadge access={access} />
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
