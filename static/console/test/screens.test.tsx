import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { App } from '../src/App';
import { ApiError, type Scope } from '../src/api';
import type { ConsoleHome } from '../src/context';
import { action, fakeApi, incident, type FakeApi } from './fake-api';

function renderApp(api: FakeApi, scope: Scope = { kind: 'all' }, hash = '#/') {
  window.location.hash = hash;
  const home: ConsoleHome = { api, scope, home: 'Bulkhead service' };
  return render(<App home={home} initialTheme="light" />);
}

afterEach(() => {
  window.location.hash = '';
});

describe('login', () => {
  test('a 401 on the session shows the login form; a wrong password says so; the right one opens the list', async () => {
    const api = fakeApi({ loggedIn: false });
    renderApp(api);
    await screen.findByRole('heading', { name: 'Log in to Bulkhead' });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'wrong' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    expect(await screen.findByRole('alert')).toHaveProperty('textContent', 'wrong username or password');
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'right' } });
    fireEvent.click(screen.getByRole('button', { name: 'Log in' }));
    await screen.findByRole('heading', { name: 'Incidents' });
    expect(api.calls.filter((c) => c.name === 'login').map((c) => c.args)).toEqual([
      ['admin', 'wrong'],
      ['admin', 'right'],
    ]);
  });

  test('a service that does not answer gets an error that says what to do, and Retry', async () => {
    const api = fakeApi();
    api.session = async () => {
      throw new ApiError(0, 'network', 'the service did not answer');
    };
    renderApp(api);
    await screen.findByText('The console could not reach Bulkhead');
    screen.getByText(/Check that the Bulkhead service is running/);
    screen.getByRole('button', { name: 'Retry' });
  });
});

describe('incident list', () => {
  test('empty, then live: an incident pushed by the service appears without anything clicked', async () => {
    const api = fakeApi();
    renderApp(api);
    await screen.findByText('No incidents yet');
    screen.getByText(/Bulkhead opens an incident when a rule fires/);
    api.incidents.push(incident('a'));
    act(() => api.emit({ type: 'incident', id: 'a' }));
    await screen.findByRole('link', { name: 'svc-a: known-bad indicator' });
    expect(screen.getByText(/Updates live\. Last change/)).toBeTruthy();
  });

  test('filters go to the API; a filter that matches nothing offers to clear it', async () => {
    const api = fakeApi({ incidents: [incident('a')] });
    renderApp(api);
    await screen.findByRole('link', { name: 'svc-a: known-bad indicator' });
    fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'resolved' } });
    await screen.findByText('No incident matches these filters');
    fireEvent.change(screen.getByLabelText('Severity at least'), { target: { value: 'high' } });
    fireEvent.change(screen.getByLabelText('Product'), { target: { value: 'jira' } });
    fireEvent.change(screen.getByLabelText('Active since (UTC day)'), { target: { value: '2023-11-14' } });
    await waitFor(() =>
      expect(api.calls.filter((c) => c.name === 'listIncidents').at(-1)?.args[0]).toMatchObject({
        status: ['resolved'],
        minSeverity: 'high',
        product: 'jira',
        since: Date.UTC(2023, 10, 14),
      }),
    );
    fireEvent.click(screen.getByRole('button', { name: 'Clear filters' }));
    await screen.findByRole('link', { name: 'svc-a: known-bad indicator' });
  });

  test('an error says what failed and retries', async () => {
    const api = fakeApi({ failList: new ApiError(500, 'internal', 'internal error') });
    renderApp(api);
    await screen.findByText('The incidents could not be loaded');
    screen.getByText(/its log says why/);
    api.failList = undefined;
    api.incidents.push(incident('a'));
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    await screen.findByRole('link', { name: 'svc-a: known-bad indicator' });
  });

  test('the repository page lists only incidents touching it and hides the settings', async () => {
    const api = fakeApi({ incidents: [incident('a'), incident('b', { detections: [] })] });
    renderApp(api, { kind: 'repository', name: 'OPS/ops-vpn-client' });
    await screen.findByRole('heading', { name: 'Incidents touching repository OPS/ops-vpn-client' });
    await screen.findByRole('link', { name: 'svc-a: known-bad indicator' });
    expect(screen.queryByRole('link', { name: 'svc-b: known-bad indicator' })).toBeNull();
    expect(screen.queryByRole('link', { name: 'Rules' })).toBeNull();
  });

  test('the space page, with a settings route in the address, still shows the space incidents', async () => {
    const api = fakeApi({ incidents: [incident('a')] });
    renderApp(api, { kind: 'space', key: 'ENG' }, '#/rules');
    await screen.findByRole('heading', { name: 'Incidents touching space ENG' });
    await screen.findByRole('link', { name: 'svc-a: known-bad indicator' });
  });
});

describe('incident detail', () => {
  test('undo, approve and retry call the API and show the new state; acknowledge sends the note', async () => {
    const api = fakeApi({
      incidents: [incident('a')],
      actions: [
        action('x1', 'a', 'done'),
        {
          ...action('x2', 'a', 'awaiting-approval'),
          action: { kind: 'suspend-account', product: 'jira', identity: { name: 'svc-a', kind: 'service' } },
        },
        {
          ...action('x3', 'a', 'failed'),
          action: { kind: 'suspend-account', product: 'confluence', identity: { name: 'svc-a', kind: 'service' } },
          result: '401: the admin token has expired',
        },
      ],
    });
    renderApp(api, { kind: 'all' }, '#/incident/a');
    await screen.findByRole('heading', { name: 'svc-a: known-bad indicator' });
    screen.getByRole('heading', { name: 'Detections' });
    screen.getByText('Activity from a published attacker address');
    screen.getByRole('img', { name: /Timeline of 2 events/ });

    fireEvent.click(
      screen.getByRole('button', { name: 'Undo remove-from-group jira-administrators · jira:svc-a' }),
    );
    await screen.findByText(/is now undone: added back/);
    expect(api.calls.some((c) => c.name === 'undo' && c.args[0] === 'x1')).toBe(true);
    await waitFor(() => expect(screen.queryByRole('button', { name: /^Undo remove-from-group/ })).toBeNull());

    fireEvent.click(screen.getByRole('button', { name: 'Approve suspend-account · jira:svc-a' }));
    await screen.findByText(/suspend-account · jira:svc-a is now done/);

    screen.getByText(/401: the admin token has expired/);
    fireEvent.click(screen.getByRole('button', { name: 'Retry suspend-account · confluence:svc-a' }));
    await screen.findByText(/suspend-account · confluence:svc-a is now done/);
    expect(api.calls.some((c) => c.name === 'retry' && c.args[0] === 'x3')).toBe(true);
    await waitFor(() => expect(screen.queryByRole('button', { name: /^Retry / })).toBeNull());

    fireEvent.change(screen.getByLabelText('Note (kept in the history)'), { target: { value: 'on it' } });
    fireEvent.click(screen.getByRole('button', { name: 'Acknowledge' }));
    await screen.findByText('Incident acknowledged.');
    expect(api.calls.find((c) => c.name === 'setStatus')?.args).toEqual(['a', 'acknowledged', 'on it']);
    screen.getByText(/admin set it acknowledged: “on it”/);
  });

  test('an undo the product cannot do shows its reason and what to do', async () => {
    const api = fakeApi({ incidents: [incident('a')], actions: [action('x1', 'a', 'done')] });
    api.undo = async () => {
      throw new ApiError(409, 'conflict', 'cannot undo revoke-tokens: the owner makes new ones');
    };
    renderApp(api, { kind: 'all' }, '#/incident/a');
    fireEvent.click(await screen.findByRole('button', { name: /^Undo / }));
    await screen.findByText('cannot undo revoke-tokens: the owner makes new ones');
    screen.getByText(/reload to see where it stands/);
  });
});

describe('settings', () => {
  test('the response policy: the hourly cap and actions are saved together with the rules', async () => {
    const api = fakeApi();
    renderApp(api, { kind: 'all' }, '#/policy');
    const cap = await screen.findByLabelText(/At most this many actions an hour/);
    const save = screen.getByRole('button', { name: 'Save policy' });
    expect(save).toHaveProperty('disabled', true);
    fireEvent.change(cap, { target: { value: '7' } });
    fireEvent.click(screen.getByLabelText(/suspend-account/));
    fireEvent.click(screen.getByRole('button', { name: 'Save policy' }));
    await screen.findByText(/^Saved\./);
    const put = api.calls.find((c) => c.name === 'putSettings')?.args[0] as {
      response: { maxPerHour: number; actions: string[] };
      rules: object;
    };
    expect(put.response.maxPerHour).toBe(7);
    expect(put.response.actions).toEqual(['remove-from-admin-groups', 'suspend-account']);
    expect(Object.keys(put.rules)).toEqual(['admin-group-member-added', 'bulk-page-reads']);
  });

  test('an invalid cap is named and cannot be saved', async () => {
    const api = fakeApi();
    renderApp(api, { kind: 'all' }, '#/policy');
    fireEvent.change(await screen.findByLabelText(/At most this many actions an hour/), {
      target: { value: '-1' },
    });
    screen.getByText('Enter a whole number, 0 or more.');
    expect(screen.getByRole('button', { name: 'Save policy' })).toHaveProperty('disabled', true);
  });

  test('rules: dry-run, enabled and the allow-list per rule', async () => {
    const api = fakeApi();
    renderApp(api, { kind: 'all' }, '#/rules');
    await screen.findByText('bulk-page-reads');
    fireEvent.click(screen.getByLabelText('admin-group-member-added dry-run'));
    fireEvent.click(screen.getByLabelText('bulk-page-reads enabled'));
    fireEvent.change(screen.getByLabelText('bulk-page-reads allow-list'), {
      target: { value: 'backup-bot, svc-export' },
    });
    fireEvent.click(screen.getByRole('button', { name: 'Save rules' }));
    await screen.findByText(/^Saved\./);
    expect(api.settings.rules).toEqual({
      'admin-group-member-added': { enabled: true, dryRun: true, allowList: [] },
      'bulk-page-reads': {
        enabled: false,
        dryRun: false,
        allowList: ['backup-bot', 'svc-export'],
        threshold: 50,
        defaultThreshold: 50,
      },
    });
  });

  test('rules: a threshold is edited and saved with the other settings; the default is its help text', async () => {
    const api = fakeApi();
    api.settings.rules['bulk-page-reads'] = { ...api.settings.rules['bulk-page-reads']!, threshold: 60 };
    renderApp(api, { kind: 'all' }, '#/rules');
    const field = (await screen.findByLabelText('Threshold for bulk-page-reads')) as HTMLInputElement;
    expect(field.value).toBe('60');
    expect(field.getAttribute('type')).toBe('number');
    // The default is the field's description; a rule without a threshold has no field.
    const help = document.getElementById(field.getAttribute('aria-describedby') as string);
    expect(help?.textContent).toBe('Default 50');
    expect(screen.queryByLabelText('Threshold for admin-group-member-added')).toBeNull();

    const save = screen.getByRole('button', { name: 'Save rules' });
    expect(save).toHaveProperty('disabled', true);
    fireEvent.change(field, { target: { value: '0' } });
    screen.getByText('Enter a whole number, 1 or more.');
    expect(save).toHaveProperty('disabled', true);
    fireEvent.change(field, { target: { value: '' } });
    expect(save).toHaveProperty('disabled', true);
    fireEvent.change(field, { target: { value: '120' } });
    expect(screen.queryByText('Enter a whole number, 1 or more.')).toBeNull();
    fireEvent.click(save);
    await screen.findByText(/^Saved\./);

    const put = api.calls.find((c) => c.name === 'putSettings')?.args[0] as {
      rules: Record<string, Record<string, unknown>>;
    };
    // Sent: the threshold, not the read-only default; nothing for the rule without one.
    expect(put.rules['bulk-page-reads']).toEqual({
      enabled: true,
      dryRun: false,
      allowList: ['backup-bot'],
      threshold: 120,
    });
    expect(put.rules['admin-group-member-added']).not.toHaveProperty('threshold');
    expect(api.settings.rules['bulk-page-reads']).toMatchObject({ threshold: 120, defaultThreshold: 50 });
    expect((screen.getByLabelText('Threshold for bulk-page-reads') as HTMLInputElement).value).toBe('120');
    expect(screen.getByRole('button', { name: 'Save rules' })).toHaveProperty('disabled', true);
  });

  test('a threshold the API refuses is named next to its field, until it is edited', async () => {
    const api = fakeApi();
    const put = api.putSettings.bind(api);
    api.putSettings = async (s) => {
      const t = s.rules['bulk-page-reads']?.threshold;
      if (t !== undefined && t > 10_000)
        throw new ApiError(
          400,
          'invalid',
          'rules.bulk-page-reads.threshold: at most 10000',
          'rules.bulk-page-reads.threshold',
        );
      return put(s);
    };
    renderApp(api, { kind: 'all' }, '#/rules');
    const field = await screen.findByLabelText('Threshold for bulk-page-reads');
    fireEvent.change(field, { target: { value: '50000' } });
    fireEvent.click(screen.getByRole('button', { name: 'Save rules' }));
    await screen.findByText('The rules were not saved');
    // Beside the field, and the field points at it.
    const err = screen.getByRole('alert');
    expect(err.textContent).toBe('rules.bulk-page-reads.threshold: at most 10000');
    expect(field.closest('td')?.contains(err)).toBe(true);
    expect(field.getAttribute('aria-describedby')?.split(' ')).toContain(err.id);
    expect(field.getAttribute('aria-invalid')).toBe('true');
    screen.getByText('Correct rules.bulk-page-reads.threshold and try again.');

    fireEvent.change(field, { target: { value: '500' } });
    expect(screen.queryByRole('alert')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Save rules' }));
    await screen.findByText(/^Saved\./);
    expect(api.settings.rules['bulk-page-reads']?.threshold).toBe(500);
  });

  test('a refused save names the field', async () => {
    const api = fakeApi();
    api.putSettings = async () => {
      throw new ApiError(400, 'invalid', 'rules.nope: unknown rule', 'rules.nope');
    };
    renderApp(api, { kind: 'all' }, '#/rules');
    fireEvent.click(await screen.findByLabelText('bulk-page-reads enabled'));
    fireEvent.click(screen.getByRole('button', { name: 'Save rules' }));
    await screen.findByText('The rules were not saved');
    screen.getByText('Correct rules.nope and try again.');
  });
});

describe('readiness and integrations', () => {
  test('readiness names the failing check and why', async () => {
    renderApp(fakeApi(), { kind: 'all' }, '#/readiness');
    await screen.findByText('1 check failing');
    const row = screen.getByText('suspend-account on bitbucket').closest('tr') as HTMLElement;
    within(row).getByText('Bitbucket cannot suspend');
    within(row).getByText('no');
  });

  test('secrets are shown as set or not, with no field to write them', async () => {
    renderApp(fakeApi(), { kind: 'all' }, '#/integrations');
    await screen.findByText('containment.products[0].token');
    screen.getByText('not set');
    screen.getByText('Secrets are set outside the console');
    expect(screen.queryAllByRole('textbox')).toHaveLength(0);
    expect(document.querySelectorAll('input[type=password]')).toHaveLength(0);
  });

  test('where the host stores secrets (Forge), each has a write-only field; the value is never shown back', async () => {
    const written: [string, string][] = [];
    const api = fakeApi({ kind: 'forge' });
    api.setSecret = async (k, v) => {
      written.push([k, v]);
      api.settings.secrets[k] = { set: true };
    };
    renderApp(api, { kind: 'all' }, '#/integrations');
    const field = await screen.findByLabelText('New value for notify.slack.webhook');
    expect(field.getAttribute('type')).toBe('password');
    fireEvent.change(field, { target: { value: 'https://hooks.slack.example/T0' } });
    const row = field.closest('tr') as HTMLElement;
    fireEvent.click(within(row).getByRole('button', { name: 'Save' }));
    await screen.findByText(/notify\.slack\.webhook saved\. It cannot be read back/);
    expect(written).toEqual([['notify.slack.webhook', 'https://hooks.slack.example/T0']]);
    expect((screen.getByLabelText('New value for notify.slack.webhook') as HTMLInputElement).value).toBe('');
    expect(document.body.textContent).not.toContain('hooks.slack.example');
    await waitFor(() => expect(screen.queryByText('not set')).toBeNull());
  });
});

describe('theme', () => {
  test('the theme button switches the design tokens to dark and back', async () => {
    renderApp(fakeApi());
    await screen.findByRole('heading', { name: 'Incidents' });
    expect(document.documentElement.getAttribute('data-color-mode')).toBe('light');
    expect(document.documentElement.getAttribute('data-theme')).toContain('dark:dark');
    fireEvent.click(screen.getByRole('button', { name: 'Dark theme' }));
    expect(document.documentElement.getAttribute('data-color-mode')).toBe('dark');
    expect(screen.getByRole('button', { name: 'Dark theme' }).getAttribute('aria-pressed')).toBe('true');
    fireEvent.click(screen.getByRole('button', { name: 'Dark theme' }));
    expect(document.documentElement.getAttribute('data-color-mode')).toBe('light');
  });
});
