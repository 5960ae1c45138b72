import { useState } from 'react';
import { ErasePatientDialog } from './ErasePatientDialog';

/** Set apart at the foot of the patient page (Administrators): permanent erasure, behind a dialog. */
export function DangerZone({ patientId, mrn }: { patientId: string; mrn: string }) {
  const [asking, setAsking] = useState(false);
  return (
    <section className="panel danger-zone" aria-labelledby="danger-zone-title" data-testid="danger-zone">
      <h2 id="danger-zone-title">Danger zone</h2>
      <p>
        Erasing a patient destroys the key their data is encrypted with. Their record can then never be read again, and
        this cannot be undone.
      </p>
      <button type="button" className="button danger" onClick={() => setAsking(true)} data-testid="erase-patient">
        Erase permanently
      </button>
      {asking && <ErasePatientDialog patientId={patientId} mrn={mrn} onCancel={() => setAsking(false)} />}
    </section>
  );
}
