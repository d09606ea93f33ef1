/**
 * Runtime CSS-in-JS under a strict CSP. The service sends `default-src 'self'` (no 'unsafe-inline'), and Forge's
 * Custom UI CSP is as strict by default, so a `<style>` element added at run time gets no stylesheet
 * (`style.sheet === null`) and its text is ignored. Nearly all of Atlaskit's styles are extracted at build time
 * (its packages ship `*.compiled.css`, bundled into app.css), but a few parts still insert rules at run time
 * (Compiled's runtime for dynamic styles, emotion in older components). This module gives every such blocked
 * `<style>` element a constructed stylesheet (`new CSSStyleSheet()`, adopted by the document), which a CSP does
 * not govern: `insertRule` on `style.sheet` lands there, and text written into the element is mirrored into it.
 * Element styles set through the CSSOM (`el.style.x = …`, what React and chart.js do) are allowed by CSP anyway.
 *
 * Adopted sheets are kept in the document order of their `<style>` elements, since Compiled orders its
 * buckets (base, then :link, :hover, …, then @media) by where it inserts them.
 */

interface Mirror {
  readonly rules: CSSStyleSheet;
  readonly text: CSSStyleSheet;
}

const mirrors = new WeakMap<HTMLStyleElement, Mirror>();
const owners: HTMLStyleElement[] = [];

function supported(): boolean {
  return (
    typeof document !== 'undefined' &&
    typeof CSSStyleSheet !== 'undefined' &&
    'adoptedStyleSheets' in document &&
    typeof (CSSStyleSheet.prototype as { replaceSync?: unknown }).replaceSync === 'function'
  );
}

function reorder(): void {
  const live = owners.filter((o) => o.isConnected);
  live.sort((a, b) => (a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING ? -1 : 1));
  const ours = new Set<CSSStyleSheet>();
  const sheets: CSSStyleSheet[] = [];
  for (const o of live) {
    const m = mirrors.get(o);
    if (!m) continue;
    sheets.push(m.text, m.rules);
    ours.add(m.text).add(m.rules);
  }
  for (const o of owners) {
    const m = mirrors.get(o);
    if (m) ours.add(m.text).add(m.rules);
  }
  const others = document.adoptedStyleSheets.filter((s) => !ours.has(s));
  document.adoptedStyleSheets = [...others, ...sheets];
}

function mirrorOf(el: HTMLStyleElement): Mirror {
  let m = mirrors.get(el);
  if (!m) {
    m = { rules: new CSSStyleSheet(), text: new CSSStyleSheet() };
    mirrors.set(el, m);
    owners.push(el);
    m.text.replaceSync(el.textContent ?? '');
    reorder();
  }
  return m;
}

export function installCspStyleShim(): boolean {
  if (!supported()) return false;
  const proto = HTMLStyleElement.prototype;
  const native =
    Object.getOwnPropertyDescriptor(proto, 'sheet') ??
    Object.getOwnPropertyDescriptor(HTMLElement.prototype, 'sheet');
  if (!native?.get || (proto as { __bulkheadShim?: boolean }).__bulkheadShim) return false;
  const nativeGet = native.get;
  Object.defineProperty(proto, 'sheet', {
    configurable: true,
    enumerable: native.enumerable ?? true,
    get(this: HTMLStyleElement) {
      const s = nativeGet.call(this) as CSSStyleSheet | null;
      if (s || !this.isConnected) return s;
      // Connected but no sheet: the CSP blocked it.
      return mirrorOf(this).rules;
    },
  });
  (proto as { __bulkheadShim?: boolean }).__bulkheadShim = true;
  // Text written into a blocked <style> (emotion's non-speedy mode, Compiled's non-atomic rules, theme styles).
  const observer = new MutationObserver((records) => {
    let moved = false;
    for (const r of records) {
      const target = r.target instanceof HTMLStyleElement ? r.target : r.target.parentNode;
      if (target instanceof HTMLStyleElement && !nativeGet.call(target)) {
        mirrorOf(target).text.replaceSync(target.textContent ?? '');
      }
      for (const n of Array.from(r.addedNodes)) {
        if (n instanceof HTMLStyleElement && !nativeGet.call(n) && (n.textContent ?? '') !== '') {
          mirrorOf(n).text.replaceSync(n.textContent ?? '');
        }
        if (n instanceof HTMLStyleElement) moved = true;
      }
      for (const n of Array.from(r.removedNodes)) {
        if (n instanceof HTMLStyleElement && mirrors.has(n)) moved = true;
      }
    }
    if (moved && owners.length > 0) reorder();
  });
  observer.observe(document.documentElement, { childList: true, subtree: true, characterData: true });
  return true;
}
