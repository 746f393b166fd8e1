// The one place Ferry reads its environment. Every variable is named, defaulted and validated here;
// a bad environment fails at start with one message that lists every problem (see ConfigError).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';

const url = (def?: string) => (def === undefined ? z.url() : z.url().default(def));
const optionalString = z.string().min(1).optional();
const int = (def: number, min = 0) => z.coerce.number().int().min(min).default(def);
const flag = z
  .enum(['0', '1', 'true', 'false', ''])
  .default('0')
  .transform((v) => v === '1' || v === 'true');
const hostList = (def: string) =>
  z
    .string()
    .default(def)
    .transform((v) =>
      v
        .split(',')
        .map((h) => h.trim().toLowerCase())
        .filter(Boolean),
    );
// Bearer tokens, comma-separated: several are valid at once while one is rotated out. Each must fit in
// an Authorization header as is (printable ASCII, no spaces; commas separate).
const tokenList = z
  .string()
  .transform((v) =>
    v
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
  )
  .refine((tokens) => tokens.length > 0, 'must hold at least one token')
  .refine((tokens) => tokens.every((t) => /^[\x21-\x7e]+$/.test(t)), 'tokens must be printable ASCII without spaces')
  .optional();
// Exact Web UI origins. `*` (or `null`, or a wildcard) would let any web page read what the codec decodes
// with an operator's session cookie, so it is refused rather than reflected.
const originList = (def: string) =>
  z
    .string()
    .default(def)
    .superRefine((value, ctx) => {
      for (const entry of value.split(',').map((o) => o.trim())) {
        if (!entry) continue;
        if (entry.includes('*') || entry === 'null') {
          ctx.addIssue({
            code: 'custom',
            message: `"${entry}" is not allowed: list the Web UI's exact origins (a wildcard would let every web site use an operator's codec session)`,
          });
          continue;
        }
        let origin: string | undefined;
        try {
          const url = new URL(entry);
          if (url.protocol === 'http:' || url.protocol === 'https:') origin = url.origin;
        } catch {
          origin = undefined;
        }
        if (origin !== entry) {
          ctx.addIssue({ code: 'custom', message: `"${entry}" is not an origin (scheme://host[:port], no path)` });
        }
      }
    });
const base64Key = z
  .string()
  .refine(
    (v) => Buffer.from(v, 'base64').length === 32,
    'must be base64 of exactly 32 bytes (openssl rand -base64 32)',
  );

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  FERRY_DATA_DIR: z.string().default('./.data'),

  // Temporal
  TEMPORAL_ADDRESS: z.string().min(1).default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('ferry'),
  TEMPORAL_TLS_CERT: optionalString,
  TEMPORAL_TLS_KEY: optionalString,
  TEMPORAL_TLS_CA: optionalString,
  TEMPORAL_API_KEY: optionalString,
  TEMPORAL_UI_URL: url('http://localhost:8233'),
  // all: one process runs both; `workflows` / `activities` split them into two deployments that scale
  // apart (the byte-moving activities off the process that holds the workflow sandbox and its cache).
  WORKER_ROLE: z.enum(['all', 'workflows', 'activities']).default('all'),
  WORKER_MAX_CONCURRENT_ACTIVITIES: int(32, 1),
  WORKER_MAX_CONCURRENT_WORKFLOW_TASKS: int(16, 1),
  // The sticky workflow cache: the SDK's default scales with V8's heap limit (~2,300 on a 4 GB heap),
  // and each cached workflow keeps its state (a copy page: its 500 plan items) in the worker's heap.
  WORKER_MAX_CACHED_WORKFLOWS: int(200, 0),
  WORKER_SHUTDOWN_GRACE_SECONDS: int(30, 0),
  WORKER_HEALTH_PORT: int(9464, 0),
  WORKER_SDK_METRICS_PORT: int(9465, 0),
  // Traces (lib/tracing.ts): on when an OTLP/HTTP endpoint is set. The OTel SDK itself reads these two
  // and the other standard OTEL_* variables; they are parsed here so a malformed URL fails at start.
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  OTEL_SERVICE_NAME: optionalString,

  // Payload encryption and the Web UI's codec endpoint
  FERRY_ENCRYPTION_KEY: base64Key.optional(),
  FERRY_DECRYPTION_KEYS: z.string().optional(),
  FERRY_CODEC_TOKEN: optionalString,
  FERRY_CODEC_CORS_ORIGINS: originList('http://localhost:8233'),

  // API
  PORT: int(3000, 0),
  FERRY_PUBLIC_URL: url('http://localhost:3000'),
  API_BODY_LIMIT: z.string().default('100kb'),
  FERRY_API_TOKEN: tokenList,
  API_METRICS_PORT: int(9466, 0),
  DATABASE_URL: z.string().min(1).optional(),

  // Google (OAuth for Drive, Drive, Sheets)
  GOOGLE_CLIENT_ID: optionalString,
  GOOGLE_CLIENT_SECRET: optionalString,
  GOOGLE_AUTH_URL: url('https://accounts.google.com/o/oauth2/v2/auth'),
  GOOGLE_TOKEN_URL: url('https://oauth2.googleapis.com/token'),
  // Where a finished gallery transfer revokes the user's grant (RFC 7009).
  GOOGLE_REVOKE_URL: url('https://oauth2.googleapis.com/revoke'),
  GOOGLE_API_URL: url('https://www.googleapis.com'),
  GOOGLE_SHEETS_API_URL: url('https://sheets.googleapis.com'),

  // Yandex (OAuth, Disk)
  YANDEX_CLIENT_ID: optionalString,
  YANDEX_CLIENT_SECRET: optionalString,
  YANDEX_OAUTH_URL: url('https://oauth.yandex.ru'),
  YANDEX_DISK_API_URL: url('https://cloud-api.yandex.net/v1/disk'),

  // Copy engine
  COPY_CONCURRENCY: int(8, 1),
  COPY_MAX_ATTEMPTS: int(5, 1),
  COPY_BATCH_FILES: int(16, 1),
  COPY_SMALL_FILE_BYTES: int(8 * 1024 * 1024, 0),
  DRIVE_RESUMABLE_CUTOFF: int(8 * 1024 * 1024, 0),
  DRIVE_CHUNK_SIZE: int(8 * 1024 * 1024, 256 * 1024),

  // Sources
  VK_API_URL: url('https://api.vk.com/method'),
  VK_TOKEN: optionalString,
  VK_REQUESTS_PER_SECOND: z.coerce.number().positive().max(20).default(3),
  VK_FILE_HOSTS: hostList('userapi.com,vkuserphoto.ru,vk-cdn.net,vk.me,vk.com,mycdn.me,okcdn.ru'),
  // Odnoklassniki (OK): every call is signed with the app's secret key, which is never sent
  // (docs/ok-backup.md). What OK does not document (rate limit, size fields) is configurable here.
  OK_API_URL: url('https://api.ok.ru/fb.do'),
  OK_APPLICATION_KEY: optionalString,
  OK_APPLICATION_SECRET_KEY: optionalString,
  OK_ACCESS_TOKEN: optionalString,
  OK_REQUESTS_PER_SECOND: z.coerce.number().positive().max(20).default(3),
  OK_FILE_HOSTS: hostList('mycdn.me,okcdn.ru'),
  // Unset: activities/ok/source.ts's OK_DEFAULT_PHOTO_SIZES (pic_max first: community-confirmed only).
  OK_PHOTO_SIZES: hostList('')
    .refine((fields) => fields.length > 0 && fields.every((f) => /^pic[a-z0-9_]+$/.test(f)), {
      message: 'must be OK photo URL fields (pic_max, pic1024x768 ...), largest first',
    })
    .optional(),

  // `ferry login` (cli/login/): the apps users authorize, and the providers' OAuth pages
  VK_CLIENT_ID: optionalString,
  VK_OAUTH_URL: url('https://oauth.vk.com'),
  OK_APPLICATION_ID: optionalString,
  OK_OAUTH_URL: url('https://connect.ok.ru'),
  // Not confirmed by OK's docs which blank page an External app gets, nor which rights photos need:
  // the current page (apiok.ru "Client OAuth") names oauth.mycdn.me/blank.html, older copies api.ok.ru/blank.html.
  OK_OAUTH_REDIRECT_URI: url('https://oauth.mycdn.me/blank.html'),
  OK_OAUTH_SCOPE: z.string().min(1).default('VALUABLE_ACCESS;LONG_ACCESS_TOKEN;PHOTO_CONTENT'),
  // Yandex checks redirect_uri against the app's registered list, so the loopback port is fixed (rclone's).
  YANDEX_LOGIN_REDIRECT_URI: url('http://127.0.0.1:53682/'),
  GALLERY_API_URL: url('https://app.litegallery.io'),
  GALLERY_ALLOWED_HOSTS: hostList('arch-d.lite.gallery,arch.litegallery.io,app.litegallery.io,t.litegallery.io'),
  GALLERY_FILE_HOSTS: hostList('up-d.lite.gallery'),
  REDIRECT_ALLOWED_HOSTS: hostList('app.litegallery.io,t.litegallery.io,testerlite.lite.gallery'),
  FERRY_ALLOW_PRIVATE_NETWORK: flag,
  // Gallery archive (cloud_archive): how long a consent link stays valid, the done-callback retry
  // policy (retried until it succeeds: backoff from INITIAL, capped at MAX, for up to HOURS), limits.
  CLOUD_ARCHIVE_AUTH_TIMEOUT_SECONDS: int(900, 1),
  CLOUD_ARCHIVE_RATE_LIMIT_PER_MINUTE: int(30, 1),
  GALLERY_DONE_RETRY_INITIAL_SECONDS: int(30, 1),
  GALLERY_DONE_RETRY_MAX_SECONDS: int(900, 1),
  GALLERY_DONE_RETRY_HOURS: int(72, 1),
  GALLERY_LISTING_MAX_BYTES: int(64 * 1024 * 1024, 1024),

  // Daily ETL
  ITRESUME_API_URL: url('https://b2b.itresume.ru/api/statistics'),
  ITRESUME_CLIENT: optionalString,
  ITRESUME_CLIENT_KEY: optionalString,
  SMTP_URL: optionalString,
  MAIL_FROM: optionalString,
  MAIL_TO: optionalString,
  GOOGLE_SERVICE_ACCOUNT_JSON: optionalString,
  SHEETS_SPREADSHEET_ID: optionalString,
  SHEETS_RANGE: z.string().default('Daily!A:D'),
  LOG_DIR: z.string().default('./logs'),
  LOG_RETENTION_DAYS: int(3, 1),
  ETL_SCHEDULE_CRON: z.string().default('0 3 * * *'),
  ETL_SCHEDULE_ID: z.string().min(1).default('etl-daily'),
  ETL_LOOKBACK_HOURS: int(3, 0),
});

type Env = z.infer<typeof envSchema>;
export type Config = Env & {
  /** Active encryption key first, then keys kept only to decrypt older payloads. */
  encryptionKeys: Buffer[];
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Reads and validates the environment. Throws ConfigError naming every bad variable at once. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty string means "unset" for our purposes: compose files and .env templates leave blanks.
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = envSchema.safeParse(cleaned);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.') || '(environment)'}: ${i.message}`));
  }
  const cfg = parsed.data;
  const problems: string[] = [];
  if (cfg.NODE_ENV === 'production' && !cfg.FERRY_ENCRYPTION_KEY) {
    problems.push('FERRY_ENCRYPTION_KEY: required in production (base64 of 32 bytes)');
  }
  if (Boolean(cfg.TEMPORAL_TLS_CERT) !== Boolean(cfg.TEMPORAL_TLS_KEY)) {
    problems.push('TEMPORAL_TLS_CERT/TEMPORAL_TLS_KEY: set both or neither');
  }
  const oldKeys = (cfg.FERRY_DECRYPTION_KEYS ?? '')
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  oldKeys.forEach((k, i) => {
    if (Buffer.from(k, 'base64').length !== 32)
      problems.push(`FERRY_DECRYPTION_KEYS[${i}]: must be base64 of 32 bytes`);
  });
  if (problems.length) throw new ConfigError(problems);
  const active = cfg.FERRY_ENCRYPTION_KEY
    ? Buffer.from(cfg.FERRY_ENCRYPTION_KEY, 'base64')
    : devKey(cfg.FERRY_DATA_DIR);
  return { ...cfg, encryptionKeys: [active, ...oldKeys.map((k) => Buffer.from(k, 'base64'))] };
}

/** Outside production a missing key is generated once and kept under the data dir, so restarts can decrypt. */
function devKey(dataDir: string): Buffer {
  const file = join(resolve(dataDir), 'encryption.key');
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64');
  mkdirSync(resolve(dataDir), { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, key.toString('base64') + '\n', { mode: 0o600 });
  return key;
}

/**
 * What the API process needs beyond loadConfig (the worker and the CLI serve no HTTP routes, so they do
 * not need its tokens): in production the operators' routes and the codec must be locked.
 */
export function apiConfigProblems(cfg: Env): string[] {
  if (cfg.NODE_ENV !== 'production') return [];
  const problems: string[] = [];
  if (!cfg.FERRY_API_TOKEN?.length) {
    problems.push(
      'FERRY_API_TOKEN: required in production: the bearer token(s) of the job routes (openssl rand -base64 32)',
    );
  }
  // 32 bytes: a brute force against /codec/login or the bearer check stays hopeless even without rate limits.
  if (Buffer.byteLength(cfg.FERRY_CODEC_TOKEN ?? '') < 32) {
    problems.push('FERRY_CODEC_TOKEN: required in production, at least 32 bytes (openssl rand -base64 32)');
  }
  return problems;
}

/** Throws ConfigError (one message naming each variable) when the API may not start with `cfg`. */
export function assertApiConfig(cfg: Env): void {
  const problems = apiConfigProblems(cfg);
  if (problems.length) throw new ConfigError(problems);
}

/** For features that need optional variables: fails with the same one-message shape, naming what is missing. */
export function requireVars<K extends keyof Env>(
  cfg: Env,
  names: K[],
  feature: string,
): { [P in K]-?: NonNullable<Env[P]> } {
  const missing = names.filter((n) => cfg[n] === undefined || cfg[n] === '');
  if (missing.length) throw new ConfigError(missing.map((n) => `${String(n)}: required for ${feature}`));
  return Object.fromEntries(names.map((n) => [n, cfg[n]])) as { [P in K]-?: NonNullable<Env[P]> };
}
