/**
 * Bitbucket Data Center `atlassian-bitbucket-access.log`: one `i` line when a request arrives and one `o` line
 * when it completes, fields separated by ` | ` (see shared/samples/README.md). The `o` line carries the status,
 * bytes and duration, so it is the line a step's ground truth points at.
 */
import type { Rng } from '../rng';
import type { RecordSink } from '../sink';
import { accessLogTime } from './time';

export const BITBUCKET_ACCESS_LOG = 'bitbucket/log/atlassian-bitbucket-access.log';

export interface AccessRequest {
  readonly t: number;
  readonly ip: string;
  readonly protocol: 'https' | 'ssh';
  /** `-` when anonymous. */
  readonly user: string;
  /** `"GET /path HTTP/1.1"` (quoted) or `SSH - git-upload-pack '/key/slug.git'`. */
  readonly action: string;
  /** `"referer" "user agent"` for https, `"SSH-2.0-..."` or `-` for ssh. */
  readonly agent: string;
  readonly status: number;
  readonly bytesRead: number;
  readonly bytesWritten: number;
  readonly labels: string;
  readonly durationMs: number;
  readonly session: string;
  readonly steps?: readonly string[];
}

export class AccessLog {
  private counter = 0;

  constructor(
    private readonly sink: RecordSink,
    private readonly rng: Rng,
  ) {
    sink.declare(BITBUCKET_ACCESS_LOG, 'bitbucket-dc-access');
  }

  emit(r: AccessRequest): void {
    // Request ids look like `i*1Y8NA7Ox764x406x0`: a marker, a node token, the minute of the day, a counter.
    const d = new Date(r.t);
    const minute = d.getUTCHours() * 60 + d.getUTCMinutes();
    const id = `${this.rng.base36(7).toUpperCase()}x${minute}x${++this.counter}x0`;
    const inLine = [
      r.ip,
      r.protocol,
      `i*${id}`,
      r.user,
      accessLogTime(r.t),
      r.action,
      r.agent,
      '-',
      '-',
      '-',
      '-',
      '-',
      r.session,
    ].join(' | ');
    const end = r.t + r.durationMs;
    const outLine = [
      r.ip,
      r.protocol,
      `o*${id}`,
      r.user,
      accessLogTime(end),
      r.action,
      r.agent,
      String(r.status),
      String(r.bytesRead),
      String(r.bytesWritten),
      r.labels || '-',
      String(r.durationMs),
      r.session,
    ].join(' | ');
    this.sink.emit({ t: r.t, file: BITBUCKET_ACCESS_LOG, text: `${inLine} |` });
    this.sink.emit({
      t: end,
      file: BITBUCKET_ACCESS_LOG,
      text: `${outLine} |`,
      ...(r.steps ? { steps: r.steps } : {}),
    });
  }
}

export const httpAction = (method: string, path: string): string => `"${method} ${path} HTTP/1.1"`;
export const sshUploadPack = (key: string, slug: string): string =>
  `SSH - git-upload-pack '/${key.toLowerCase()}/${slug}.git'`;
export const sshReceivePack = (key: string, slug: string): string =>
  `SSH - git-receive-pack '/${key.toLowerCase()}/${slug}.git'`;
