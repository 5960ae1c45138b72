import type { ReactNode } from 'react';
import { usePageTitle } from '../hooks/usePageTitle';

/** Centred card for the pages before a full session: sign-in, second factor, enrolment. */
export function AuthLayout({ title, children, wide = false }: { title: string; children: ReactNode; wide?: boolean }) {
  usePageTitle(title);
  return (
    <div className="auth-page">
      <header className="auth-brand">
        <span className="brand-mark" aria-hidden="true">
          C
        </span>
        <span className="brand-name">Clarus</span>
      </header>
      <main className={wide ? 'auth-card auth-card-wide' : 'auth-card'}>
        <h1>{title}</h1>
        {children}
      </main>
      <footer className="auth-footer">For authorised clinical staff only. Activity is recorded.</footer>
    </div>
  );
}
