/**
 * The configuration file of the self-hosted service (`bulkhead serve --config FILE`), groundwork for issue #4:
 * one YAML file, one schema, refused at start with every problem named by its key. Documented in
 * docs/serve-config.md, with an example that the tests load.
 *
 * Secrets (admin tokens, webhook URLs, the SMTP password) are never written in the file itself: a secret is
 * `{ env: NAME }` or `{ file: PATH }`, read at start. A configuration file is copied, committed and pasted into
 * tickets; a token in it would leak with it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { PRODUCTS } from '../core/event';
import { SEVERITIES } from '../core/severity';
import { issuePath, type LoadError } from '../rules/load-error';
import { readYaml } from '../rules/yaml-files';

const DC_PRODUCTS = PRODUCTS.filter((p) => p !== 'org') as ['jira', 'confluence', 'bitbucket'];

const Secret = z.union([
  z
    .object({
      env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'an environment variable name, e.g. BULKHEAD_JIRA_TOKEN'),
    })
    .strict(),
  z.object({ file: z.string().min(1) }).strict(),
]);
export type SecretRef = z.infer<typeof Secret>;

const Regex = z.string().refine(
  (s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not a valid regular expression' },
);

const Product = z.enum(DC_PRODUCTS);

export const ServeConfigSchema = z
  .object({
    /** The embedded SQLite file: incidents, detections, actions, windows, baselines, checkpoints. */
    state: z.object({ sqlite: z.string().min(1) }).strict(),
    sources: z
      .object({
        /** Folders of `*.audit.log` files, tailed. */
        auditLogs: z
          .array(
            z
              .object({ product: Product, dir: z.string().min(1), match: Regex.default('\\.audit\\.log$') })
              .strict(),
          )
          .default([]),
        /** The Bitbucket access log folder, tailed for archive downloads, clones and API bursts. */
        accessLog: z
          .object({
            dir: z.string().min(1),
            match: Regex.default('^atlassian-bitbucket-access.*\\.log$'),
            timezone: z.string().optional(),
          })
          .strict()
          .optional(),
        /** `/rest/auditing/1.0/events` polled where the files are out of reach. */
        auditRest: z
          .array(
            z
              .object({
                product: Product,
                baseUrl: z.url({ protocol: /^https?$/ }),
                token: Secret,
                pollSeconds: z.number().int().min(10).default(60),
              })
              .strict(),
          )
          .default([]),
      })
      .strict()
      .refine((s) => s.auditLogs.length > 0 || s.accessLog !== undefined || s.auditRest.length > 0, {
        message: 'name at least one source: auditLogs, accessLog or auditRest',
      }),
    rules: z
      .object({
        dirs: z.array(z.string()).default([]),
        lists: z.array(z.string()).default([]),
        ioc: z.array(z.string()).default([]),
      })
      .strict()
      .default({ dirs: [], lists: [], ioc: [] }),
    /** Without it, Bulkhead detects and notifies but never acts. */
    containment: z
      .object({
        products: z
          .array(
            z.object({ product: Product, baseUrl: z.url({ protocol: /^https?$/ }), token: Secret }).strict(),
          )
          .min(1),
        policy: z
          .object({
            minSeverity: z.enum(SEVERITIES).default('critical'),
            actions: z
              .array(z.enum(['remove-from-admin-groups', 'suspend-account', 'revoke-tokens', 'block-merges', 'revoke-permissions']))
              .min(1)
              .default(['remove-from-admin-groups', 'suspend-account']),
            dryRunRules: z.array(z.string()).default([]),
            allowList: z.array(z.string()).default([]),
            maxPerHour: z.number().int().min(0).default(10),
          })
          .strict(),
      })
      .strict()
      .optional(),
    notify: z
      .object({
        slack: z.object({ webhook: Secret }).strict().optional(),
        teams: z.object({ webhook: Secret }).strict().optional(),
        webhook: z
          .object({ url: z.url({ protocol: /^https?$/ }), secret: Secret.optional() })
          .strict()
          .optional(),
        email: z
          .object({
            smtpHost: z.string().min(1),
            port: z.number().int().min(1).max(65535).default(587),
            from: z.email(),
            to: z.array(z.email()).min(1),
            username: z.string().optional(),
            password: Secret.optional(),
          })
          .strict()
          .optional(),
        jira: z
          .object({
            baseUrl: z.url({ protocol: /^https?$/ }),
            token: Secret,
            project: z.string().regex(/^[A-Z][A-Z0-9_]+$/),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({}),
    http: z
      .object({
        /** Loopback unless told otherwise: the console is never open to the network by default. */
        listen: z.string().default('127.0.0.1'),
        /** 0 picks any free port (printed at start). */
        port: z.number().int().min(0).max(65535).default(8477),
      })
      .strict()
      .default({ listen: '127.0.0.1', port: 8477 }),
  })
  .strict();

export type ServeConfig = z.infer<typeof ServeConfigSchema>;

export type ConfigResult =
  | { ok: true; config: ServeConfig; secrets: ReadonlyMap<string, string> }
  | { ok: false; errors: LoadError[] };

/**
 * Reads, validates and resolves a configuration file. Every problem is reported at once, each naming the file
 * and the key (`containment.policy.maxPerHour`), so one start fixes them all. Secrets come back in a map keyed
 * by the key path (`sources.auditRest[0].token`), never inside the config object that may be logged.
 */
export function loadServeConfig(file: string, env: NodeJS.ProcessEnv = process.env): ConfigResult {
  const read = readYaml(file);
  if (!read.ok) return { ok: false, errors: [read.error] };
  const parsed = ServeConfigSchema.safeParse(read.value ?? {});
  if (!parsed.success) {
    return {
      ok: false,
      errors: parsed.error.issues.map((i) => ({
        file,
        ...(i.path.length > 0 ? { path: issuePath(i.path) } : {}),
        message: i.message,
      })),
    };
  }
  const errors: LoadError[] = [];
  const secrets = new Map<string, string>();
  const base = path.dirname(file);
  const visit = (v: unknown, at: (string | number)[]): void => {
    if (Array.isArray(v)) return v.forEach((x, i) => visit(x, [...at, i]));
    if (typeof v !== 'object' || v === null) return;
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && (keys[0] === 'env' || keys[0] === 'file') && typeof o[keys[0]] === 'string') {
      const key = issuePath(at);
      const value = resolveSecret(o as SecretRef, base, env);
      if (typeof value === 'string') secrets.set(key, value);
      else errors.push({ file, path: key, message: value.error });
      return;
    }
    for (const k of keys) visit(o[k], [...at, k]);
  };
  visit(parsed.data, []);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, config: parsed.data, secrets };
}

function resolveSecret(ref: SecretRef, base: string, env: NodeJS.ProcessEnv): string | { error: string } {
  if ('env' in ref) {
    const v = env[ref.env];
    return v === undefined || v === '' ? { error: `environment variable ${ref.env} is not set` } : v;
  }
  const p = path.resolve(base, ref.file);
  try {
    const v = readFileSync(p, 'utf8').trim();
    return v === '' ? { error: `secret file ${p} is empty` } : v;
  } catch (err) {
    return {
      error: `cannot read secret file ${p}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    };
  }
}
