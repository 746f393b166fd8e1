// bench:large's baselines: the leanest honest ways to move the same file from the same source into the
// same fake, each in processes of its own (never in the fakes' or the benchmark's event loop):
//   node:http — bench/pipe-node.ts, the GET body piped into the upload;
//   curl      — `curl GET | curl -T - PUT`, C end to end (for Drive one `head -c` per chunk cuts the
//               one GET's stream into the session's chunks).
// Both speak the protocol Ferry speaks: Yandex's upload link + one streamed PUT; Drive's resumable
// session with the same chunk size as Ferry's DRIVE_CHUNK_SIZE. The faster of the two is the baseline.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import type { PipeMethods } from './pipe-node';
import { forkHelper, type BenchProcess } from './rpc';
import type { Stops } from './harness';

export type PipeClient = 'node:http' | 'curl';

export interface PipeTarget {
  cloud: 'drive' | 'yandex';
  sourceUrl: string;
  size: number;
  apiUrl: string;
  token: string;
  chunkSize: number;
}

const DRIVE_CURL = String.raw`
set -euo pipefail
loc=$(curl -sS -D - -o /dev/null -X POST -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json; charset=UTF-8' -H "X-Upload-Content-Length: $SIZE" \
  --data '{"name":"pipe-curl.bin"}' "$API/upload/drive/v3/files?uploadType=resumable" \
  | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
[ -n "$loc" ] || { echo "no resumable session" >&2; exit 1; }
curl -sS "$SRC" | {
  off=0
  while [ "$off" -lt "$SIZE" ]; do
    len=$(( SIZE - off < CHUNK ? SIZE - off : CHUNK ))
    code=$(head -c "$len" | curl -sS -o /dev/null -w '%{http_code}' -T - -H 'Transfer-Encoding:' -H 'Expect:' \
      -H "Content-Length: $len" -H "Content-Range: bytes $off-$((off + len - 1))/$SIZE" "$loc")
    off=$((off + len))
    want=308; [ "$off" -lt "$SIZE" ] || want=200
    [ "$code" = "$want" ] || { echo "chunk at $off: HTTP $code" >&2; exit 1; }
  done
}
`;

const YANDEX_CURL = String.raw`
set -euo pipefail
href=$(curl -sS -H "Authorization: OAuth $TOKEN" "$API/resources/upload?path=disk%3A%2Fpipe-curl-$$-$RANDOM.bin" \
  | sed -n 's/.*"href":"\([^"]*\)".*/\1/p')
[ -n "$href" ] || { echo "no upload link" >&2; exit 1; }
code=$(curl -sS "$SRC" | curl -sS -o /dev/null -w '%{http_code}' -T - -H 'Transfer-Encoding:' -H 'Expect:' \
  -H "Content-Length: $SIZE" "$href")
[ "$code" = 201 ] || [ "$code" = 202 ] || { echo "PUT: HTTP $code" >&2; exit 1; }
`;

async function curlPipe(t: PipeTarget): Promise<number> {
  const start = performance.now();
  const child = spawn('bash', ['-c', t.cloud === 'drive' ? DRIVE_CURL : YANDEX_CURL], {
    env: {
      PATH: process.env.PATH,
      SRC: t.sourceUrl,
      SIZE: String(t.size),
      API: t.apiUrl,
      TOKEN: t.token,
      CHUNK: String(t.chunkSize),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`curl pipe to ${t.cloud} failed (${code})`);
  return performance.now() - start;
}

interface Pipes {
  /** Milliseconds for each client on this target, and the faster of them. */
  run(t: PipeTarget): Promise<{ ms: Record<PipeClient, number>; best: PipeClient }>;
}

export async function startPipes(stops: Stops): Promise<Pipes> {
  const node: BenchProcess<PipeMethods, string> = await forkHelper<PipeMethods, string>('bench/pipe-node.ts', {
    stops,
  });
  return {
    async run(t) {
      const nodeMs =
        t.cloud === 'drive'
          ? await node.call('drive', {
              sourceUrl: t.sourceUrl,
              size: t.size,
              apiUrl: t.apiUrl,
              accessToken: t.token,
              chunkSize: t.chunkSize,
            })
          : await node.call('yandex', { sourceUrl: t.sourceUrl, size: t.size, apiUrl: t.apiUrl, token: t.token });
      const curlMs = await curlPipe(t);
      const ms = { 'node:http': nodeMs, curl: curlMs };
      return { ms, best: curlMs < nodeMs ? 'curl' : 'node:http' };
    },
  };
}
