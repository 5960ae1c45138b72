import { useState } from 'react';
import type { PatientView } from '../../api/patient-types';
import { BreakGlassDialog } from './BreakGlassDialog';

/**
 * What a patient page says when the server answers 404: no such patient, or one the user may not
 * see (the server does not say which). Users who may break the glass get the option, behind a dialog.
 */
export function PatientNotFound({ patientId, canBreakGlass, onOpened }: { patientId: string | null; canBreakGlass: boolean; onOpened: (view: PatientView) => void }) {
  const [asking, setAsking] = useState(false);
  return (
    <section className="panel" aria-labelledby="not-found-title" data-testid="patient-not-found">
      <h1 id="not-found-title">Patient not found</h1>
      <p>There is no patient with this address, or the patient is not on your care team.</p>
      {canBreakGlass && patientId !== null && (
        <>
          <p>
            In an emergency you can <strong>break the glass</strong> to open a patient who is not on your
            care team, for a limited time. It is audited.
          </p>
          <button type="button" className="button danger" onClick={() => setAsking(true)} data-testid="break-glass">
            Break the glass
          </button>
          {asking && <BreakGlassDialog patientId={patientId} onOpened={onOpened} onCancel={() => setAsking(false)} />}
        </>
      )}
    </section>
  );
}
