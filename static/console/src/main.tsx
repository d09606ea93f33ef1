// The shim first: it must be in place before any component inserts a style.
import { installCspStyleShim } from './csp-styles';
installCspStyleShim();

import '@atlaskit/css-reset/dist/bundle.css';
import './app.css';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { detectHome } from './context';
import { applyTheme, preferredTheme } from './theme';

async function start(): Promise<void> {
  const pref = preferredTheme(location.search);
  applyTheme(pref);
  const home = await detectHome(async () => {
    const bridge = await import('@forge/bridge');
    return { invoke: bridge.invoke as never, view: bridge.view as never };
  }, location.search);
  const root = document.getElementById('root');
  if (!root) return;
  createRoot(root).render(<App home={home} initialTheme={pref} />);
}

void start();
