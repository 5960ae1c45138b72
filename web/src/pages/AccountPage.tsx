import { AppShell } from '../layout/AppShell';
import { useMe, useSession } from '../session/SessionContext';
import { ChangePasswordSection } from './account/ChangePasswordSection';
import { PasskeysSection } from './account/PasskeysSection';
import { RecoveryCodesSection } from './account/RecoveryCodesSection';
import { SessionsSection } from './account/SessionsSection';

/** `/account`: password, passkeys, recovery codes, sessions. */
export function AccountPage() {
  const me = useMe();
  const { reload } = useSession();
  const refresh = (): void => {
    void reload().catch(() => undefined);
  };
  return (
    <AppShell title="Account">
      <h1>Your account</h1>
      <p className="lead">
        {me.user.displayName?.trim() || me.user.email} · {me.user.roles.join(', ') || 'no role'}
      </p>
      <div className="panels">
        <ChangePasswordSection email={me.user.email} />
        <PasskeysSection onChanged={refresh} />
        <RecoveryCodesSection remaining={me.mfa.recoveryCodesRemaining} onChanged={refresh} />
        <SessionsSection
          idleMinutes={Math.max(1, Math.round(me.session.idleTimeoutSeconds / 60))}
          absoluteExpiresAt={me.session.absoluteExpiresAt}
        />
      </div>
    </AppShell>
  );
}
