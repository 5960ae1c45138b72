import { AppShell } from '../../layout/AppShell';
import { Link } from '../../router/Link';
import { useMe } from '../../session/SessionContext';
import { roleCards } from './roleCards';

/** `/`: greeting, organisation, and one card per role the user holds. */
export function HomePage() {
  const me = useMe();
  const name = me.user.displayName?.trim() || me.user.email;
  const cards = roleCards.filter((card) => me.user.roles.includes(card.role));
  return (
    <AppShell title="Home">
      <h1 data-testid="home">Welcome, {name}</h1>
      <p className="lead" data-testid="tenant-name">
        {me.user.tenant.name}
      </p>
      {cards.length === 0 && (
        <p className="alert alert-info" role="status">
          You have no role yet. Ask your administrator to give you one.
        </p>
      )}
      <ul className="cards" aria-label="Your roles">
        {cards.map((card) => (
          <li key={card.role} className="card" data-testid={`role-card-${card.role}`}>
            <h2>{card.role}</h2>
            <p className="muted">{card.summary}</p>
            <ul className="capabilities">
              {card.capabilities.map((capability) => (
                <li key={capability.label}>
                  {capability.to === undefined ? (
                    <>
                      <span>{capability.label}</span> <span className="badge">Coming soon</span>
                    </>
                  ) : (
                    <Link to={capability.to}>{capability.label}</Link>
                  )}
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
    </AppShell>
  );
}
