/**
 * The self-hosted service's state in one embedded SQLite file (groundwork for issue #4): detections,
 * incidents, and the checkpoint that says how far the inputs were read together with the engine's and the
 * correlator's state at that point.
 *
 * Everything a poll produced is committed in one transaction with the checkpoint it reached. A process killed
 * at any moment therefore restarts from a checkpoint that matches the stored detections exactly: the lines
 * after it are read again, produce the same detections (ids are deterministic), and `INSERT OR IGNORE` keeps
 * each once. Nothing is lost and nothing is raised twice.
 */
import Database from 'better-sqlite3';
import type { Detection } from '../core/detection';
import type { Incident } from '../core/incident';

const SCHEMA_VERSION = 1;

/** What a restart needs: the input checkpoint and the engine's and correlator's state, from one commit. */
export interface Resume {
  readonly inputs: unknown;
  readonly engine: unknown;
  readonly correlator: unknown;
}

export interface Commit extends Resume {
  /** Detections new in this poll (already stored ones are ignored by id). */
  readonly detections: readonly { readonly detection: Detection; readonly incidentId: string }[];
  /** Incidents that changed in this poll, as they are now. */
  readonly incidents: readonly Incident[];
  /** Incidents merged into another one: their rows go (their detections now belong to the survivor). */
  readonly mergedAway: readonly string[];
}

export class ServeState {
  private readonly db: Database.Database;
  private readonly insertDetection: Database.Statement;
  private readonly upsertIncident: Database.Statement;
  private readonly setMeta: Database.Statement;
  private readonly deleteIncident: Database.Statement;
  private readonly commitTx: (c: Commit) => void;

  constructor(file: string) {
    this.db = new Database(file);
    // WAL: readers (the console) never block the writer; a killed process loses at most the transaction it was in.
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS detections (
        id TEXT PRIMARY KEY, incident_id TEXT NOT NULL, rule_id TEXT NOT NULL, severity TEXT NOT NULL,
        at INTEGER NOT NULL, json TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS detections_incident ON detections(incident_id);
      CREATE TABLE IF NOT EXISTS incidents (
        id TEXT PRIMARY KEY, severity TEXT NOT NULL, first_at INTEGER NOT NULL, last_at INTEGER NOT NULL,
        title TEXT NOT NULL, json TEXT NOT NULL);
    `);
    const version = this.meta('schema');
    if (version !== undefined && version !== String(SCHEMA_VERSION)) {
      throw new Error(`${file}: state schema ${version}, this Bulkhead reads ${SCHEMA_VERSION}`);
    }
    this.setMeta = this.db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
    );
    this.setMeta.run('schema', String(SCHEMA_VERSION));
    this.insertDetection = this.db.prepare(
      'INSERT OR IGNORE INTO detections (id, incident_id, rule_id, severity, at, json) VALUES (?, ?, ?, ?, ?, ?)',
    );
    this.upsertIncident = this.db.prepare(
      `INSERT INTO incidents (id, severity, first_at, last_at, title, json) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(id) DO UPDATE SET severity = excluded.severity, first_at = excluded.first_at,
         last_at = excluded.last_at, title = excluded.title, json = excluded.json`,
    );
    this.deleteIncident = this.db.prepare('DELETE FROM incidents WHERE id = ?');
    this.commitTx = this.db.transaction((c: Commit) => {
      for (const { detection: d, incidentId } of c.detections)
        this.insertDetection.run(d.id, incidentId, d.rule.id, d.severity, d['@timestamp'], JSON.stringify(d));
      for (const i of c.incidents)
        this.upsertIncident.run(
          i.id,
          i.severity,
          i.firstTimestamp,
          i.lastTimestamp,
          i.title,
          JSON.stringify(i),
        );
      for (const id of c.mergedAway) this.deleteIncident.run(id);
      this.setMeta.run(
        'resume',
        JSON.stringify({ inputs: c.inputs, engine: c.engine, correlator: c.correlator }),
      );
    });
  }

  /** The state of the last commit, or undefined on a new file. */
  resume(): Resume | undefined {
    const v = this.meta('resume');
    return v === undefined ? undefined : (JSON.parse(v) as Resume);
  }

  commit(c: Commit): void {
    this.commitTx(c);
  }

  detectionIds(): string[] {
    return (this.db.prepare('SELECT id FROM detections ORDER BY at, id').all() as { id: string }[]).map(
      (r) => r.id,
    );
  }

  incidents(): Incident[] {
    return (
      this.db.prepare('SELECT json FROM incidents ORDER BY first_at, id').all() as { json: string }[]
    ).map((r) => JSON.parse(r.json) as Incident);
  }

  close(): void {
    this.db.close();
  }

  private meta(key: string): string | undefined {
    const row = this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as
      { value: string } | undefined;
    return row?.value;
  }
}
