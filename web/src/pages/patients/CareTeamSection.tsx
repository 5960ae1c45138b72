import { useEffect, useState } from 'react';
import { type ApiError, toApiError } from '../../api/errors';
import type { CareTeamMember } from '../../api/patient-types';
import { listCareTeam, removeCareTeamMember } from '../../api/patients';
import { ErrorMessage } from '../../components/ErrorMessage';
import { formatDateTime } from '../../format';
import { useAction } from '../../hooks/useAction';
import { AddCareTeamMember } from './AddCareTeamMember';

/**
 * The patient's care team: who is assigned, until when. With `canManage` (Administrators), members
 * can be added from the organisation's users and removed.
 */
export function CareTeamSection({ patientId, canManage }: { patientId: string; canManage: boolean }) {
  const [members, setMembers] = useState<CareTeamMember[] | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const removal = useAction();

  useEffect(() => {
    let current = true;
    listCareTeam(patientId).then(
      (found) => current && setMembers(found),
      (caught: unknown) => current && setLoadError(toApiError(caught)),
    );
    return () => {
      current = false;
    };
  }, [patientId]);

  async function remove(member: CareTeamMember): Promise<void> {
    await removal.run(async () => {
      await removeCareTeamMember(patientId, member.userId);
      setMembers((list) => list?.filter((m) => m.userId !== member.userId) ?? null);
    });
  }

  return (
    <section className="panel" aria-labelledby="care-team-title">
      <h2 id="care-team-title">Care team</h2>
      <p className="muted">Clinicians and viewers on the care team see this patient; others do not.</p>
      <ErrorMessage error={loadError ?? removal.error} />
      {members === null && loadError === null && <p role="status">Loading the care team…</p>}
      {members !== null && members.length === 0 && <p data-testid="care-team-empty">Nobody is assigned to this patient yet.</p>}
      {members !== null && members.length > 0 && (
        <ul className="item-list" data-testid="care-team-list">
          {members.map((member) => (
            <li key={member.userId} data-testid="care-team-member" data-email={member.email}>
              <span>
                <strong>{member.displayName ?? member.email}</strong>
                {member.displayName !== null && <span className="muted"> {member.email}</span>}
                <span className="muted"> · {member.roles.join(', ') || 'no role'}</span>
                <span className="muted"> · {member.endsAt === null ? 'no end date' : `until ${formatDateTime(member.endsAt)}`}</span>
              </span>
              {canManage && (
                <button type="button" className="button button-small danger" onClick={() => void remove(member)} disabled={removal.pending}
                  aria-label={`Remove ${member.email} from the care team`} data-testid={`care-team-remove-${member.email}`}>
                  Remove
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {canManage && members !== null && (
        <AddCareTeamMember patientId={patientId} members={members} onChanged={setMembers} />
      )}
    </section>
  );
}
