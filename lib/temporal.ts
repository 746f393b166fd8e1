// Connections to Temporal for clients (API, CLI) and workers, from the environment: plain for the dev
// server, mTLS (TEMPORAL_TLS_CERT/KEY, PEM text or file path) or an API key for Temporal Cloud.
import { readFileSync } from 'node:fs';
import { Client, Connection, type ClientInterceptors } from '@temporalio/client';
// The subpath, not the package root: the root also loads the workflow-side modules and the plugin.
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry/lib/client/index.js';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from './config';
import { ferryDataConverter } from './codec';
import type { Tracing } from './tracing';

const pem = (v: string) => Buffer.from(v.includes('-----BEGIN') ? v : readFileSync(v, 'utf8'));

export function connectionOptions(cfg: Config) {
  const ca = cfg.TEMPORAL_TLS_CA ? pem(cfg.TEMPORAL_TLS_CA) : undefined;
  // A CA alone means a TLS server without client certificates (self-hosted with its own CA).
  const tls =
    cfg.TEMPORAL_TLS_CERT && cfg.TEMPORAL_TLS_KEY
      ? {
          clientCertPair: { crt: pem(cfg.TEMPORAL_TLS_CERT), key: pem(cfg.TEMPORAL_TLS_KEY) },
          serverRootCACertificate: ca,
        }
      : ca
        ? { serverRootCACertificate: ca }
        : cfg.TEMPORAL_API_KEY
          ? true
          : undefined;
  return {
    address: cfg.TEMPORAL_ADDRESS,
    tls,
    apiKey: cfg.TEMPORAL_API_KEY,
    metadata: cfg.TEMPORAL_API_KEY ? { 'temporal-namespace': cfg.TEMPORAL_NAMESPACE } : undefined,
  };
}

/**
 * With tracing, starting a workflow (and signalling, querying, updating it) is a span whose context
 * travels in the workflow's headers: the workflow's own spans continue the caller's trace.
 */
export function clientInterceptors(tracing: Tracing | undefined): ClientInterceptors | undefined {
  return tracing ? { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } : undefined;
}

export async function createClient(cfg: Config, options: { tracing?: Tracing } = {}): Promise<Client> {
  const connection = await Connection.connect(connectionOptions(cfg));
  return new Client({
    connection,
    namespace: cfg.TEMPORAL_NAMESPACE,
    dataConverter: ferryDataConverter(cfg.encryptionKeys),
    interceptors: clientInterceptors(options.tracing),
  });
}

/** A client whose connection is made on first use: the API starts (and answers /healthz) before Temporal is up. */
export function createLazyClient(cfg: Config, options: { tracing?: Tracing } = {}): Client {
  const connection = Connection.lazy(connectionOptions(cfg));
  return new Client({
    connection,
    namespace: cfg.TEMPORAL_NAMESPACE,
    dataConverter: ferryDataConverter(cfg.encryptionKeys),
    interceptors: clientInterceptors(options.tracing),
  });
}

export async function createWorkerConnection(cfg: Config): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(cfg));
}
