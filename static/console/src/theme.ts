/**
 * Light and dark with Atlassian design tokens. The token values are static CSS (build/assets/themes.css,
 * written at build time from @atlaskit/tokens' theme artifacts), switched by the attributes @atlaskit/tokens
 * uses on <html>: `data-theme` names the themes, `data-color-mode` picks light or dark. Setting attributes is
 * allowed under the CSP, where `setGlobalTheme` (which injects <style> elements) would not be.
 */
export type ColorMode = 'light' | 'dark';
export type ThemePreference = ColorMode | 'auto';

const KEY = 'bulkhead.theme';

export function preferredTheme(search: string): ThemePreference {
  const q = new URLSearchParams(search).get('theme');
  if (q === 'light' || q === 'dark' || q === 'auto') return q;
  try {
    const v = localStorage.getItem(KEY);
    if (v === 'light' || v === 'dark' || v === 'auto') return v;
  } catch {
    // storage unavailable (sandboxed iframe)
  }
  return 'auto';
}

export function resolveMode(p: ThemePreference): ColorMode {
  if (p !== 'auto') return p;
  return typeof matchMedia === 'function' && matchMedia('(prefers-color-scheme: dark)').matches
    ? 'dark'
    : 'light';
}

export function applyTheme(p: ThemePreference, remember = false): ColorMode {
  const mode = resolveMode(p);
  const html = document.documentElement;
  html.setAttribute('data-theme', 'light:light dark:dark spacing:spacing typography:typography shape:shape');
  html.setAttribute('data-color-mode', mode);
  if (remember) {
    try {
      localStorage.setItem(KEY, p);
    } catch {
      // ignore
    }
  }
  return mode;
}
