// Connections to Temporal for clients (API, CLI) and workers, from the environment: plain for the dev
// server, mTLS (TEMPORAL_TLS_CERT/KEY, PEM text or file path) or an API key for Temporal Cloud.
import { existsSync, readFileSync } from 'node:fs';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from './config';
import { ferryDataConverter } from './codec';

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

export async function createClient(cfg: Config): Promise<Client> {
  const connection = await Connection.connect(connectionOptions(cfg));
  return new Client({
    connection,
    namespace: cfg.TEMPORAL_NAMESPACE,
    dataConverter: ferryDataConverter(cfg.encryptionKeys),
  });
}

/** A client whose connection is made on first use: the API starts (and answers /healthz) before Temporal is up. */
export function createLazyClient(cfg: Config): Client {
  const connection = Connection.lazy(connectionOptions(cfg));
  return new Client({
    connection,
    namespace: cfg.TEMPORAL_NAMESPACE,
    dataConverter: ferryDataConverter(cfg.encryptionKeys),
  });
}

export async function createWorkerConnection(cfg: Config): Promise<NativeConnection> {
  return NativeConnection.connect(connectionOptions(cfg));
}

export const temporalCliExists = (path: string | undefined): path is string => Boolean(path && existsSync(path));
