import Button from '@atlaskit/button/new';
import { useCallback, useEffect, useState } from 'react';
import { NotLoggedIn, type Scope, type SessionInfo } from './api';
import type { ConsoleHome } from './context';
import { applyTheme, type ColorMode, type ThemePreference } from './theme';
import { ErrorState, Loading } from './ui';
import { IncidentDetailView } from './views/IncidentDetail';
import { IncidentList } from './views/IncidentList';
import { IntegrationsView } from './views/Integrations';
import { LoginForm } from './views/Login';
import { PolicyView } from './views/Policy';
import { ReadinessView } from './views/Readiness';
import { RulesView } from './views/Rules';

export type Route =
  | { readonly name: 'incidents' }
  | { readonly name: 'incident'; readonly id: string }
  | { readonly name: 'rules' }
  | { readonly name: 'policy' }
  | { readonly name: 'readiness' }
  | { readonly name: 'integrations' };

export function parseRoute(hash: string): Route {
  const h = hash.replace(/^#\/?/, '');
  const [first, ...rest] = h.split('/');
  if (first === 'incident' && rest.length > 0)
    return { name: 'incident', id: decodeURIComponent(rest.join('/')) };
  if (first === 'rules' || first === 'policy' || first === 'readiness' || first === 'integrations')
    return { name: first };
  return { name: 'incidents' };
}

export const hrefOf = (r: Route): string =>
  r.name === 'incident'
    ? `#/incident/${encodeURIComponent(r.id)}`
    : `#/${r.name === 'incidents' ? '' : r.name}`;

export function scopeLabel(s: Scope): string {
  return s.kind === 'space'
    ? `Space ${s.key}`
    : s.kind === 'repository'
      ? `Repository ${s.name}`
      : 'All incidents';
}

function useRoute(): Route {
  const [route, setRoute] = useState<Route>(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

const NAV: readonly { route: Route; label: string; full: boolean }[] = [
  { route: { name: 'incidents' }, label: 'Incidents', full: false },
  { route: { name: 'rules' }, label: 'Rules', full: true },
  { route: { name: 'policy' }, label: 'Response policy', full: true },
  { route: { name: 'readiness' }, label: 'Readiness', full: true },
  { route: { name: 'integrations' }, label: 'Integrations', full: true },
];

export function App({ home, initialTheme = 'auto' }: { home: ConsoleHome; initialTheme?: ThemePreference }) {
  const { api, scope } = home;
  const route = useRoute();
  const [session, setSession] = useState<SessionInfo | 'login' | undefined>();
  const [sessionError, setSessionError] = useState<unknown>();
  const [mode, setMode] = useState<ColorMode>(() => applyTheme(initialTheme));

  const check = useCallback(() => {
    setSessionError(undefined);
    api.session().then(setSession, (e: unknown) => {
      if (e instanceof NotLoggedIn) setSession('login');
      else setSessionError(e);
    });
  }, [api]);
  useEffect(check, [check]);

  // Any screen that meets a 401 sends the person back to the login form.
  const onAuthError = useCallback((e: unknown) => {
    if (e instanceof NotLoggedIn) setSession('login');
  }, []);

  const toggleTheme = () => setMode(applyTheme(mode === 'dark' ? 'light' : 'dark', true));
  const full = scope.kind === 'all';
  // Space and repository pages show their incidents only; settings are the full console's.
  const shown =
    full || route.name === 'incidents' || route.name === 'incident'
      ? route
      : ({ name: 'incidents' } as Route);

  let body;
  if (sessionError !== undefined) {
    body = <ErrorState title="The console could not reach Bulkhead" error={sessionError} onRetry={check} />;
  } else if (session === undefined) {
    body = <Loading what="your session" />;
  } else if (session === 'login') {
    body = api.login ? (
      <LoginForm api={api} onDone={setSession} />
    ) : (
      <ErrorState title="Not allowed" error={new Error('This page needs an administrator.')} />
    );
  } else {
    const common = { api, onAuthError };
    body =
      shown.name === 'incident' ? (
        <IncidentDetailView key={shown.id} id={shown.id} mode={mode} {...common} />
      ) : shown.name === 'rules' ? (
        <RulesView {...common} />
      ) : shown.name === 'policy' ? (
        <PolicyView {...common} />
      ) : shown.name === 'readiness' ? (
        <ReadinessView {...common} />
      ) : shown.name === 'integrations' ? (
        <IntegrationsView {...common} />
      ) : (
        <IncidentList scope={scope} {...common} />
      );
  }
  const loggedIn = typeof session === 'object';
  return (
    <div className="app">
      <header className="top">
        <div className="brand">
          <span className="name">Bulkhead</span>
          <span className="home">
            {home.home} · {scopeLabel(scope)}
          </span>
        </div>
        {loggedIn ? (
          <nav aria-label="Console">
            <ul>
              {NAV.filter((n) => full || !n.full).map((n) => (
                <li key={n.label}>
                  <a
                    href={hrefOf(n.route)}
                    aria-current={
                      n.route.name === shown.name ||
                      (n.route.name === 'incidents' && shown.name === 'incident')
                        ? 'page'
                        : undefined
                    }
                  >
                    {n.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        ) : null}
        <div className="tools">
          <Button appearance="subtle" onClick={toggleTheme} aria-pressed={mode === 'dark'}>
            Dark theme
          </Button>
          {loggedIn && api.logout ? (
            <Button
              appearance="subtle"
              onClick={() => {
                void api.logout?.().finally(() => setSession('login'));
              }}
            >
              Log out {session.username}
            </Button>
          ) : null}
        </div>
      </header>
      <main id="main">{body}</main>
    </div>
  );
}
