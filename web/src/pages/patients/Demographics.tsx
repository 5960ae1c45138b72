import type { PatientView } from '../../api/patient-types';
import { formatDate, formatDateTime } from '../../format';
import { sexLabels } from './patientFields';

/** The patient's details that this view carries; a field the user's role does not see is left out. */
export function Demographics({ view }: { view: PatientView }) {
  const p = view.patient;
  const rows: Array<[string, string, string]> = [
    ['MRN', p.mrn, 'mrn'],
    ['Family name', p.familyName, 'family'],
    ['Given name', p.givenName, 'given'],
  ];
  if (p.birthDate !== undefined) rows.push(['Birth date', formatDate(p.birthDate), 'birth']);
  if (p.sex !== undefined) rows.push(['Sex', sexLabels[p.sex], 'sex']);
  if (p.email !== undefined) rows.push(['E-mail', p.email ?? '—', 'email']);
  if (p.phone !== undefined) rows.push(['Phone', p.phone ?? '—', 'phone']);
  if (p.address !== undefined) rows.push(['Address', p.address ?? '—', 'address']);
  if (p.createdAt !== undefined) rows.push(['Registered', formatDateTime(p.createdAt), 'created']);
  if (p.updatedAt !== undefined) rows.push(['Last changed', formatDateTime(p.updatedAt), 'updated']);
  return (
    <>
      <dl className="facts" data-testid="demographics">
        {rows.map(([label, value, key]) => (
          <div key={key}>
            <dt>{label}</dt>
            <dd data-testid={`demographic-${key}`} className={key === 'address' ? 'preserve-lines' : undefined}>
              {value}
            </dd>
          </div>
        ))}
      </dl>
      {view.fields === 'minimal' && (
        <p className="muted" data-testid="minimal-note">
          Your role shows the name and MRN only: enough to match images to the right patient.
        </p>
      )}
    </>
  );
}
