/**
 * Email over SMTP (nodemailer): plain text and a simple HTML version of the same message. STARTTLS is used
 * whenever the server offers it (port 465 speaks TLS from the start); the password is the secret.
 */
import nodemailer from 'nodemailer';
import { utc } from '../report/format';
import {
  DeliveryError,
  networkError,
  scrub,
  type Channel,
  type SendContext,
  type SendResult,
} from './channel';
import { htmlEscape } from './escape';
import { actionText, headline, plainLines, timelineWithGap, type NotificationMessage } from './message';

export interface EmailOptions {
  readonly host: string;
  readonly port: number;
  readonly from: string;
  readonly to: readonly string[];
  readonly username?: string;
  readonly password?: string;
  /** Refuse to send unless the connection is encrypted (STARTTLS or 465). Default false: use it when offered. */
  readonly requireTls?: boolean;
  /** A private CA for the SMTP server's certificate (PEM), or false to accept any (tests only). */
  readonly tls?: { readonly ca?: string; readonly rejectUnauthorized?: boolean };
}

export function emailSubject(m: NotificationMessage): string {
  return `[Bulkhead] ${headline(m)}`;
}

export function emailText(m: NotificationMessage): string {
  return `${plainLines(m).join('\n')}\n`;
}

export function emailHtml(m: NotificationMessage): string {
  const e = htmlEscape;
  const row = (k: string, v: string) => `<tr><th align="left">${e(k)}</th><td>${v}</td></tr>`;
  const parts = [
    '<!doctype html><html><body style="font-family:sans-serif">',
    `<h2>${e(headline(m))}</h2>`,
    '<table>',
    row('Actor', e(m.actorLabel)),
    row('Period', e(`${utc(m.firstAt)} .. ${utc(m.lastAt)}`)),
    row('Incident', `${e(m.incidentId)} (${e(m.status)})`),
    ...(m.url ? [row('Console', `<a href="${e(m.url)}">Open in Bulkhead</a>`)] : []),
    '</table>',
  ];
  if (m.identities.length > 0) {
    parts.push('<h3>Linked identities</h3><ul>');
    for (const i of m.identities) parts.push(`<li>${e(`${i.label}: ${i.how} at ${utc(i.at)}`)}</li>`);
    parts.push('</ul>');
  }
  parts.push('<h3>Timeline (UTC)</h3><table>');
  for (const t of timelineWithGap(m)) {
    parts.push(
      typeof t === 'string'
        ? `<tr><td colspan="4"><i>${e(t)}</i></td></tr>`
        : `<tr><td><code>${e(utc(t.at))}</code></td><td>${e(t.severity)}</td><td><code>${e(t.ruleId)}</code></td><td>${e(t.summary)}</td></tr>`,
    );
  }
  parts.push('</table>');
  if (m.actions.length > 0) {
    parts.push('<h3>Containment</h3><ul>');
    for (const a of m.actions) parts.push(`<li>${e(actionText(a))}</li>`);
    parts.push('</ul>');
  }
  parts.push('</body></html>');
  return parts.join('\n');
}

export class EmailChannel implements Channel {
  readonly name = 'email' as const;
  readonly secrets: readonly string[];
  constructor(private readonly o: EmailOptions) {
    this.secrets = o.password !== undefined ? [o.password] : [];
  }
  async send(m: NotificationMessage, ctx: SendContext): Promise<SendResult> {
    const where = `SMTP ${this.o.host}:${this.o.port}`;
    const transport = nodemailer.createTransport({
      host: this.o.host,
      port: this.o.port,
      secure: this.o.port === 465,
      requireTLS: this.o.requireTls ?? false,
      ...(this.o.username !== undefined
        ? { auth: { user: this.o.username, pass: this.o.password ?? '' } }
        : {}),
      ...(this.o.tls ? { tls: { ...this.o.tls } } : {}),
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 20_000,
    });
    const aborted = new Promise<never>((_, reject) => {
      const onAbort = () => {
        transport.close();
        reject(new DeliveryError(`${where}: timed out`, true));
      };
      if (ctx.signal.aborted) onAbort();
      else ctx.signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const info = (await Promise.race([
        transport.sendMail({
          from: this.o.from,
          to: [...this.o.to],
          subject: emailSubject(m),
          text: emailText(m),
          html: emailHtml(m),
          headers: { 'X-Bulkhead-Incident': m.incidentId },
        }),
        aborted,
      ])) as { messageId?: string; rejected?: unknown[] };
      const rejected = Array.isArray(info.rejected) ? info.rejected.length : 0;
      return { detail: `sent to ${this.o.to.length - rejected} of ${this.o.to.length}` };
    } catch (err) {
      throw smtpError(err, where, ctx.signal, this.secrets);
    } finally {
      transport.close();
    }
  }
}

/** SMTP failures: 4xx replies and connection problems are retried; 5xx replies (auth refused, recipient
 *  unknown) are final. Messages are scrubbed of the password. */
function smtpError(
  err: unknown,
  where: string,
  signal: AbortSignal,
  secrets: readonly string[],
): DeliveryError {
  if (err instanceof DeliveryError) return err;
  const e = err as { responseCode?: unknown; code?: unknown; response?: unknown; message?: unknown };
  if (typeof e.responseCode === 'number') {
    const answer = scrub(String(e.response ?? e.message ?? ''), secrets).slice(0, 200);
    return new DeliveryError(`${where}: ${e.responseCode} ${answer}`, e.responseCode < 500, undefined);
  }
  if (e.code === 'EAUTH') return new DeliveryError(`${where}: authentication failed`, false);
  if (e.code === 'ETLS' && !signal.aborted)
    return new DeliveryError(
      `${where}: TLS failed (${scrub(String(e.message ?? ''), secrets).slice(0, 200)})`,
      false,
    );
  return networkError(err, where, signal);
}
