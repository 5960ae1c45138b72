import type { PatientView } from '../../api/patient-types';
import { formatTime } from '../../format';

/** Why the user sees a patient, as a small badge (lists and headers). */
export function AccessBadge({ access }: { access: PatientView['access'] }) {
  switch (access.via) {
    case 'care-team':
      return <span className="badge badge-ok">Care team</span>;
    case 'break-glass':
      return <span className="badge badge-danger">Emergency access</span>;
    case 'role':
      return <span className="badge">By role</span>;
  }
}

/** The red banner of a patient opened by break-the-glass, with the time the access ends. */
export function BreakGlassBanner({ expiresAt }: { expiresAt: string | null }) {
  return (
    <div className="banner-danger" role="alert" data-testid="break-glass-banner">
      <strong>Emergency access until {expiresAt === null ? 'further notice' : formatTime(expiresAt)} — audited</strong>
      <p>
        You opened this record by breaking the glass, outside the patient’s care team. It was recorded as
        a High security event for review, and your access ends by itself at that time.
      </p>
    </div>
  );
}
