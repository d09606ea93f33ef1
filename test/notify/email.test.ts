/** Email through a real SMTP server (smtp-server) on 127.0.0.1: STARTTLS when offered, AUTH, subject and body. */
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { EmailChannel, Outbox, type EmailOptions } from '../../src/notify';
import { Clock, incident, record } from './fixtures';

interface Received {
  readonly from: string;
  readonly to: string[];
  readonly raw: string;
  readonly secure: boolean;
  readonly user?: string;
}

async function smtp(
  opts: Partial<SMTPServerOptions>,
): Promise<{ server: SMTPServer; port: number; mail: Received[] }> {
  const mail: Received[] = [];
  const server = new SMTPServer({
    logger: false,
    ...opts,
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mail.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          secure: session.secure,
          ...(typeof session.user === 'string' ? { user: session.user } : {}),
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.server.address() as AddressInfo).port, mail };
}

const close = (s: SMTPServer) => new Promise<void>((resolve) => s.close(() => resolve()));

/** Quoted-printable soft breaks and escapes undone, enough to read the text part. */
function qp(s: string): string {
  return Buffer.from(
    s
      .replace(/=\r?\n/g, '')
      .replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))),
    'latin1',
  ).toString('utf8');
}

const base = (port: number): EmailOptions => ({
  host: '127.0.0.1',
  port,
  from: 'bulkhead@example.com',
  to: ['sec@example.com', 'soc@example.com'],
});

describe('EmailChannel', () => {
  it('upgrades with STARTTLS when offered, authenticates, and sends text and HTML', async () => {
    const { server, port, mail } = await smtp({
      authMethods: ['PLAIN', 'LOGIN'],
      onAuth(auth, _session, cb) {
        if (auth.username === 'bulkhead' && auth.password === 'smtp-pässword-1')
          cb(null, { user: 'bulkhead' });
        else cb(new Error('Invalid username or password'));
      },
    });
    try {
      const db = new Database(':memory:');
      const clock = new Clock();
      const box = new Outbox(
        db,
        [
          new EmailChannel({
            ...base(port),
            username: 'bulkhead',
            password: 'smtp-pässword-1',
            requireTls: true,
            tls: { rejectUnauthorized: false }, // smtp-server's built-in self-signed certificate
          }),
        ],
        { now: clock.now, consoleUrl: 'https://bh.example.com' },
      );
      box.notify(incident({ severity: 'critical', title: 'svc <b>admin</b> & co' }), [record()]);
      expect(await box.drain()).toEqual({ sent: 1, retrying: 0, failed: 0 });
      expect(mail).toHaveLength(1);
      const m = mail[0]!;
      expect(m.secure).toBe(true);
      expect(m.user).toBe('bulkhead');
      expect(m.from).toBe('bulkhead@example.com');
      expect(m.to).toEqual(['sec@example.com', 'soc@example.com']);
      expect(m.raw).toMatch(/^Subject: \[Bulkhead\] CRITICAL: svc <b>admin<\/b> & co$/m);
      expect(m.raw).toMatch(/^X-Bulkhead-Incident: inc-1$/m);
      const text = qp(m.raw);
      expect(text).toContain('Content-Type: text/plain');
      expect(text).toContain('2023-11-14 15:58:02Z  high  admin-group-member-added  step 0');
      expect(text).toContain('done: suspend-account jira:5b10ac8d (HTTP 204) [new]');
      expect(text).toContain('Console:  https://bh.example.com/#/incidents/inc-1');
      expect(text).toContain('Content-Type: text/html');
      expect(text).toContain('<h2>CRITICAL: svc &lt;b&gt;admin&lt;/b&gt; &amp; co</h2>');
      expect(text).toContain('<a href="https://bh.example.com/#/incidents/inc-1">');
      expect(box.history('inc-1')[0]).toMatchObject({ state: 'sent', detail: 'sent to 2 of 2' });
      db.close();
    } finally {
      await close(server);
    }
  });

  it('sends in plain SMTP when the server offers no STARTTLS and no auth is configured', async () => {
    const { server, port, mail } = await smtp({ disabledCommands: ['STARTTLS', 'AUTH'] });
    try {
      const db = new Database(':memory:');
      const box = new Outbox(db, [new EmailChannel(base(port))], { now: new Clock().now });
      box.notify(incident(), []);
      expect(await box.drain()).toEqual({ sent: 1, retrying: 0, failed: 0 });
      expect(mail[0]!.secure).toBe(false);
      expect(mail[0]!.raw).toMatch(
        /^Subject: \[Bulkhead\] HIGH: svc-smartsheet added to jira-administrators$/m,
      );
      db.close();
    } finally {
      await close(server);
    }
  });

  it('a refused login fails at once, and the password appears nowhere', async () => {
    const { server, port, mail } = await smtp({
      onAuth(_auth, _session, cb) {
        cb(new Error('Invalid username or password'));
      },
    });
    try {
      const db = new Database(':memory:');
      const log: string[] = [];
      const box = new Outbox(
        db,
        [
          new EmailChannel({
            ...base(port),
            username: 'bulkhead',
            password: 'wrong-pass-XYZ',
            tls: { rejectUnauthorized: false },
          }),
        ],
        { now: new Clock().now, log: (l) => log.push(l) },
      );
      box.notify(incident(), []);
      expect(await box.drain()).toEqual({ sent: 0, retrying: 0, failed: 1 });
      expect(mail).toHaveLength(0);
      const [h] = box.history('inc-1');
      expect(h!.lastError).toMatch(/^SMTP 127\.0\.0\.1:\d+: 535 /);
      expect(JSON.stringify(box.history('inc-1')) + log.join('\n')).not.toContain('wrong-pass-XYZ');
      db.close();
    } finally {
      await close(server);
    }
  });

  it('a server that is not there is retried', async () => {
    const { server, port } = await smtp({});
    await close(server);
    const db = new Database(':memory:');
    const box = new Outbox(db, [new EmailChannel(base(port))], { now: new Clock().now });
    box.notify(incident(), []);
    expect(await box.drain()).toEqual({ sent: 0, retrying: 1, failed: 0 });
    expect(box.pending()[0]!.lastError).toMatch(/^SMTP 127\.0\.0\.1:\d+: network error/);
    db.close();
  });
});
