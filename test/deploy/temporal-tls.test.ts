// The Temporal client settings for a TLS frontend (self-hosted behind TLS, or Temporal Cloud with mTLS),
// over real connections: a TLS proxy that demands a client certificate signed by our test CA sits in
// front of the run's Temporal dev server, and the API's client and the worker's native connection must
// get through it using only TEMPORAL_TLS_CERT / TEMPORAL_TLS_KEY / TEMPORAL_TLS_CA.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionOptions, createClient, createWorkerConnection } from '../../lib/temporal';
import { testConfig } from '../helpers/config';

const dir = mkdtempSync(join(tmpdir(), 'ferry-tls-'));
const file = (name: string) => join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });

/** A CA, a server certificate for 127.0.0.1/localhost and a client certificate, all signed by the CA. */
function makeCertificates() {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=ferry-test-ca',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.pem'),
  );
  for (const [name, cn, ext] of [
    ['server', '127.0.0.1', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    ['client', 'ferry-client', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${cn}`,
      '-keyout',
      file(`${name}.key`),
      '-out',
      file(`${name}.csr`),
    );
    writeFileSync(file(`${name}.ext`), `${ext}\n`);
    openssl(
      'x509',
      '-req',
      '-in',
      file(`${name}.csr`),
      '-CA',
      file('ca.pem'),
      '-CAkey',
      file('ca.key'),
      '-CAcreateserial',
      '-days',
      '1',
      '-extfile',
      file(`${name}.ext`),
      '-out',
      file(`${name}.pem`),
    );
  }
}

/** TLS in front, the plain dev server behind: gRPC's HTTP/2 passes through byte for byte. */
async function tlsProxy(target: string, requireClientCert: boolean) {
  const [host, port] = target.split(':');
  const clients: string[] = [];
  const server = createServer(
    {
      key: readFileSync(file('server.key')),
      cert: readFileSync(file('server.pem')),
      ca: readFileSync(file('ca.pem')),
      requestCert: requireClientCert,
      rejectUnauthorized: requireClientCert,
      ALPNProtocols: ['h2'],
    },
    (socket: TLSSocket) => {
      const peer = socket.getPeerCertificate();
      if (peer?.subject) clients.push(String(peer.subject.CN));
      const upstream = connect(Number(port), host);
      socket.pipe(upstream).pipe(socket);
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, clients, close: () => server.close() };
}

const proxies: Array<{ close(): void }> = [];
let mtls: Awaited<ReturnType<typeof tlsProxy>>;
let serverTlsOnly: Awaited<ReturnType<typeof tlsProxy>>;

beforeAll(async () => {
  makeCertificates();
  const target = testConfig().TEMPORAL_ADDRESS;
  mtls = await tlsProxy(target, true);
  serverTlsOnly = await tlsProxy(target, false);
  proxies.push(mtls, serverTlsOnly);
});
afterAll(() => proxies.forEach((p) => p.close()));

const withDeadline = <T>(p: Promise<T>, ms = 8_000) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timed out')), ms))]);

describe('Temporal connection over TLS', () => {
  it('the API client passes mTLS with PEM text for the pair and a file path for the CA', async () => {
    const config = testConfig({
      TEMPORAL_ADDRESS: mtls.address,
      TEMPORAL_TLS_CERT: readFileSync(file('client.pem'), 'utf8'),
      TEMPORAL_TLS_KEY: readFileSync(file('client.key'), 'utf8'),
      TEMPORAL_TLS_CA: file('ca.pem'),
    });
    const client = await createClient(config);
    try {
      const info = await withDeadline(client.workflowService.getSystemInfo({}));
      expect(info.serverVersion).toBeTruthy();
      expect(mtls.clients).toContain('ferry-client');
    } finally {
      await client.connection.close();
    }
  });

  it("the worker's native connection passes mTLS with file paths", async () => {
    const config = testConfig({
      TEMPORAL_ADDRESS: mtls.address,
      TEMPORAL_TLS_CERT: file('client.pem'),
      TEMPORAL_TLS_KEY: file('client.key'),
      TEMPORAL_TLS_CA: file('ca.pem'),
    });
    const connection = await withDeadline(createWorkerConnection(config));
    try {
      const info = await withDeadline(connection.workflowService.getSystemInfo({}));
      expect(info.serverVersion).toBeTruthy();
    } finally {
      await connection.close();
    }
  });

  it('a CA alone gives server-verified TLS without a client certificate', async () => {
    const config = testConfig({ TEMPORAL_ADDRESS: serverTlsOnly.address, TEMPORAL_TLS_CA: file('ca.pem') });
    expect(connectionOptions(config).tls).toEqual({ serverRootCACertificate: readFileSync(file('ca.pem')) });
    const client = await createClient(config);
    try {
      expect((await withDeadline(client.workflowService.getSystemInfo({}))).serverVersion).toBeTruthy();
    } finally {
      await client.connection.close();
    }
  });

  it('without the client certificate the mTLS frontend refuses the connection', async () => {
    const config = testConfig({ TEMPORAL_ADDRESS: mtls.address, TEMPORAL_TLS_CA: file('ca.pem') });
    await expect(withDeadline(createClient(config).then((c) => c.workflowService.getSystemInfo({})))).rejects.toThrow();
  });

  it('an API key turns TLS on and sends the namespace header Temporal Cloud routes by', () => {
    const options = connectionOptions(testConfig({ TEMPORAL_API_KEY: 'test-key', TEMPORAL_NAMESPACE: 'ferry.acct' }));
    expect(options).toMatchObject({ tls: true, apiKey: 'test-key', metadata: { 'temporal-namespace': 'ferry.acct' } });
  });
});
