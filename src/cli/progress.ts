/**
 * The hunt's progress bar on stderr. It appears only for runs worth watching (more than 20 MB of input, or
 * still going after 2 s), only on a terminal, and never with --no-progress or --quiet, so piped and
 * scripted runs stay clean.
 */
import { SingleBar, Presets } from 'cli-progress';
import type { HuntProgress } from '../hunt';
import type { OutStream } from './io';

export const PROGRESS_MIN_BYTES = 20 * 1024 * 1024;
export const PROGRESS_MIN_MS = 2_000;

export interface ProgressReporter {
  update(p: HuntProgress): void;
  stop(): void;
}

export function createProgress(
  stream: OutStream,
  enabled: boolean,
  now: () => number = Date.now,
): ProgressReporter {
  if (!enabled || stream.isTTY !== true) return { update: () => undefined, stop: () => undefined };
  const started = now();
  let bar: SingleBar | undefined;
  return {
    update(p) {
      if (bar === undefined) {
        if (p.bytesTotal < PROGRESS_MIN_BYTES && now() - started < PROGRESS_MIN_MS) return;
        bar = new SingleBar(
          {
            stream: stream as unknown as NodeJS.WritableStream,
            format:
              'hunting {bar} {percentage}% | {mb}/{totalMb} MB | {records} records | eta {eta_formatted}',
            hideCursor: true,
            clearOnComplete: true,
          },
          Presets.shades_classic,
        );
        bar.start(Math.max(1, p.bytesTotal), 0, {
          mb: '0',
          totalMb: (p.bytesTotal / 1048576).toFixed(0),
          records: 0,
        });
      }
      bar.update(Math.min(p.bytesRead, p.bytesTotal), {
        mb: (p.bytesRead / 1048576).toFixed(0),
        records: p.records,
      });
    },
    stop() {
      bar?.stop();
    },
  };
}
