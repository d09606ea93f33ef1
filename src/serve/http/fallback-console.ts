/**
 * The interim console, served when no built console is configured: a login form, the incident list kept live
 * over server-sent events, and an incident's detail with its timeline and action buttons. Plain DOM, no
 * dependency, no inline script or style (the CSP is default-src 'self'), text always set as text.
 */

export const CONSOLE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bulkhead console</title>
<link rel="stylesheet" href="/console.css">
<script src="/console.js" defer></script>
</head>
<body>
<header>
  <h1>Bulkhead</h1>
  <span id="who"></span>
  <button type="button" id="logout" hidden>Log out</button>
</header>
<main>
  <section id="login-view" hidden aria-labelledby="login-title">
    <form id="login-form">
      <h2 id="login-title">Log in</h2>
      <label for="username">Username</label>
      <input id="username" name="username" autocomplete="username" required value="admin">
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" required>
      <button type="submit">Log in</button>
      <p id="login-error" role="alert"></p>
    </form>
  </section>
  <section id="list-view" hidden aria-labelledby="list-title">
    <h2 id="list-title">Incidents</h2>
    <p id="live" aria-live="polite"></p>
    <table>
      <caption>Newest first; updates live</caption>
      <thead><tr>
        <th scope="col">Severity</th><th scope="col">Title</th><th scope="col">Actor</th><th scope="col">Status</th>
        <th scope="col">First seen</th><th scope="col">Last seen</th><th scope="col">Actions</th>
      </tr></thead>
      <tbody id="incidents"></tbody>
    </table>
  </section>
  <section id="detail-view" hidden aria-labelledby="detail-title">
    <p><a href="#">&larr; All incidents</a></p>
    <h2 id="detail-title"></h2>
    <p id="detail-meta"></p>
    <form id="status-form">
      <label for="status-note">Note</label>
      <input id="status-note" name="note">
      <button type="submit" name="status" value="acknowledged">Acknowledge</button>
      <button type="submit" name="status" value="resolved">Resolve</button>
    </form>
    <p id="detail-error" role="alert"></p>
    <h3>Actions</h3>
    <table>
      <thead><tr><th scope="col">Action</th><th scope="col">State</th><th scope="col">Why</th><th scope="col">When</th><th scope="col"><span class="sr">Buttons</span></th></tr></thead>
      <tbody id="actions"></tbody>
    </table>
    <h3>Timeline</h3>
    <ol id="timeline"></ol>
    <h3>History</h3>
    <ol id="history"></ol>
    <h3>Notifications</h3>
    <pre id="notifications"></pre>
  </section>
</main>
</body>
</html>
`;

export const CONSOLE_CSS = `body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#111;background:#fafafa}
header{display:flex;gap:1em;align-items:center;padding:.5em 1em;background:#1d2b3a;color:#fff}
header h1{font-size:1.2em;margin:0;flex:1}
main{padding:1em}
form label{display:block;margin-top:.5em}
#status-form label,#status-form input{display:inline-block;margin-right:.5em}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid #ddd;padding:.3em .5em;text-align:left;vertical-align:top}
caption{text-align:left;color:#555;padding:.3em 0}
.sev{font-weight:600;text-transform:uppercase}
.sev-critical{color:#fff;background:#a40000}.sev-high{color:#a40000}.sev-medium{color:#a05a00}
.sev-low,.sev-info{color:#555}
.state{font-family:ui-monospace,monospace}
[role=alert]{color:#a40000}
.sr{position:absolute;left:-9999px}
button.link{background:none;border:0;color:#0645ad;text-decoration:underline;cursor:pointer;padding:0;font:inherit;text-align:left}
`;

export const CONSOLE_JS = `'use strict';
(function () {
  var csrf = '';
  var shown = '';
  var $ = function (id) { return document.getElementById(id); };
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function time(ms) { return new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC'; }
  function who(i) { return (i && (i.name || i.id)) || 'unidentified'; }
  function view(name) {
    ['login-view', 'list-view', 'detail-view'].forEach(function (v) { $(v).hidden = v !== name; });
  }
  function api(method, path, body) {
    var h = {};
    if (body !== undefined) h['Content-Type'] = 'application/json';
    if (method !== 'GET') h['X-CSRF-Token'] = csrf;
    return fetch(path, { method: method, headers: h, credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body) }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (j) {
        if (r.status === 401 && path !== '/api/login') { showLogin(); }
        if (!r.ok) throw new Error((j.error && j.error.message) || ('HTTP ' + r.status));
        return j;
      });
    });
  }
  var events;
  function showLogin() {
    if (events) { events.close(); events = undefined; }
    csrf = '';
    $('who').textContent = '';
    $('logout').hidden = true;
    view('login-view');
    $('password').focus();
  }
  function started(s) {
    csrf = s.csrfToken || '';
    $('who').textContent = s.username;
    $('logout').hidden = false;
    live();
    route();
  }
  function actionsText(actions) {
    return actions.map(function (a) { return a.action.kind + ' ' + who(a.action.identity) + ': ' + a.state; }).join('; ');
  }
  function loadList() {
    return api('GET', '/api/incidents?limit=200').then(function (page) {
      var body = $('incidents');
      body.textContent = '';
      page.incidents.forEach(function (i) {
        var tr = el('tr');
        tr.appendChild(el('td', i.severity, 'sev sev-' + i.severity));
        var td = el('td');
        var a = el('a', i.title);
        a.href = '#incident=' + encodeURIComponent(i.id);
        td.appendChild(a);
        tr.appendChild(td);
        tr.appendChild(el('td', who(i.actor)));
        tr.appendChild(el('td', i.status));
        tr.appendChild(el('td', time(i.firstTimestamp)));
        tr.appendChild(el('td', time(i.lastTimestamp)));
        tr.appendChild(el('td', actionsText(i.actions), 'state'));
        body.appendChild(tr);
      });
      if (page.incidents.length === 0) {
        var tr0 = el('tr');
        var td0 = el('td', 'No incidents.');
        td0.colSpan = 7;
        tr0.appendChild(td0);
        body.appendChild(tr0);
      }
      $('live').textContent = page.total + ' incidents, updated ' + time(Date.now());
    }).catch(function (e) { $('live').textContent = e.message; });
  }
  function actButton(label, path) {
    var b = el('button', label);
    b.type = 'button';
    b.addEventListener('click', function () {
      b.disabled = true;
      api('POST', path).then(function () { loadDetail(shown); })
        .catch(function (e) { $('detail-error').textContent = e.message; b.disabled = false; });
    });
    return b;
  }
  function loadDetail(id) {
    return api('GET', '/api/incidents/' + encodeURIComponent(id)).then(function (d) {
      var i = d.incident;
      $('detail-title').textContent = i.title;
      $('detail-meta').textContent = i.severity.toUpperCase() + ' · ' + i.status + ' · ' + who(i.actor) + ' · '
        + time(i.firstTimestamp) + ' – ' + time(i.lastTimestamp) + ' · ' + i.id;
      var body = $('actions');
      body.textContent = '';
      d.actions.forEach(function (a) {
        var tr = el('tr');
        tr.appendChild(el('td', a.action.kind + ' ' + a.action.product + ':' + who(a.action.identity)
          + (a.action.group ? ' from ' + a.action.group : '')));
        tr.appendChild(el('td', a.state + (a.by ? ' (' + a.by + ')' : ''), 'state'));
        tr.appendChild(el('td', a.reason + (a.result ? ' — ' + a.result : '')));
        tr.appendChild(el('td', time(a.at)));
        var td = el('td');
        var path = '/api/actions/' + encodeURIComponent(a.id);
        if (a.state === 'done' && a.action.kind !== 'revoke-tokens') {
          var u = actButton('Undo', path + '/undo');
          u.setAttribute('aria-label', 'Undo ' + a.action.kind + ' of ' + who(a.action.identity));
          td.appendChild(u);
        }
        if (a.state === 'awaiting-approval') {
          var p = actButton('Approve', path + '/approve');
          p.setAttribute('aria-label', 'Approve ' + a.action.kind + ' of ' + who(a.action.identity));
          td.appendChild(p);
        }
        if (a.state === 'failed') {
          var r = actButton('Retry', path + '/retry');
          r.setAttribute('aria-label', 'Retry ' + a.action.kind + ' of ' + who(a.action.identity));
          td.appendChild(r);
        }
        tr.appendChild(td);
        body.appendChild(tr);
      });
      var tl = $('timeline');
      tl.textContent = '';
      i.timeline.forEach(function (t) {
        tl.appendChild(el('li', time(t['@timestamp']) + '  ' + t.severity.toUpperCase() + '  ' + t.ruleId + '  ' + t.summary));
      });
      var h = $('history');
      h.textContent = '';
      d.history.forEach(function (c) {
        h.appendChild(el('li', time(c.at) + '  ' + c.status + ' by ' + c.by + (c.note ? ': ' + c.note : '')));
      });
      $('notifications').textContent = d.notifications.length ? JSON.stringify(d.notifications, null, 2) : 'None.';
    }).catch(function (e) { $('detail-error').textContent = e.message; });
  }
  function route() {
    if (!csrf && $('logout').hidden) return;
    var m = /^#incident=(.+)$/.exec(location.hash);
    $('detail-error').textContent = '';
    if (m) { shown = decodeURIComponent(m[1]); view('detail-view'); loadDetail(shown); }
    else { shown = ''; view('list-view'); loadList(); }
  }
  var pending;
  function changed(e) {
    var d = {};
    try { d = JSON.parse(e.data); } catch (x) { /* keep */ }
    clearTimeout(pending);
    pending = setTimeout(function () {
      if (!shown) loadList();
      else if (d.id === shown || d.incidentId === shown) loadDetail(shown);
    }, 200);
  }
  function live() {
    if (events || typeof EventSource === 'undefined') return;
    events = new EventSource('/api/events');
    events.addEventListener('incident', changed);
    events.addEventListener('action', changed);
    events.addEventListener('error', function () { $('live').textContent = 'Live updates interrupted; reconnecting…'; });
  }
  document.addEventListener('DOMContentLoaded', function () {
    $('login-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      $('login-error').textContent = '';
      api('POST', '/api/login', { username: $('username').value, password: $('password').value })
        .then(function (s) { $('password').value = ''; started(s); })
        .catch(function (e) { $('login-error').textContent = e.message; });
    });
    $('logout').addEventListener('click', function () {
      api('POST', '/api/logout').finally(showLogin);
    });
    $('status-form').addEventListener('submit', function (ev) {
      ev.preventDefault();
      var status = ev.submitter && ev.submitter.value;
      api('POST', '/api/incidents/' + encodeURIComponent(shown) + '/status', { status: status, note: $('status-note').value })
        .then(function () { $('status-note').value = ''; loadDetail(shown); })
        .catch(function (e) { $('detail-error').textContent = e.message; });
    });
    window.addEventListener('hashchange', route);
    api('GET', '/api/session').then(started).catch(function () { /* showLogin already ran on 401 */ });
  });
})();
`;
