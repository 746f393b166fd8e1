// Where the copy engine may fetch sources from: the worker's own configuration decides. A workflow's
// input (which anyone who can start a workflow writes) may narrow it — fewer hosts, no private network —
// but never widen it: it cannot turn on allowPrivateNetwork, nor drop or extend the host list.
import type { Config } from '../../lib/config';
import type { CopyOptions } from '../../lib/jobs/copy-to-cloud';
import { hostAllowed } from './url-guard';

type SourcePolicy = Required<Pick<CopyOptions, 'allowedSourceHosts' | 'allowPrivateNetwork'>>;

/** Every host a Ferry job's plan may name: the gallery's file hosts and VK's and OK's photo hosts. */
const workerSourceHosts = (config: Config): string[] => [
  ...new Set([...config.GALLERY_FILE_HOSTS, ...config.VK_FILE_HOSTS, ...config.OK_FILE_HOSTS]),
];

export function sourcePolicy(
  config: Config,
  requested: Pick<CopyOptions, 'allowedSourceHosts' | 'allowPrivateNetwork'>,
): SourcePolicy {
  const own = workerSourceHosts(config);
  const asked = requested.allowedSourceHosts?.map((h) => h.trim().toLowerCase()).filter(Boolean);
  return {
    allowedSourceHosts: asked === undefined ? own : [...new Set(asked.filter((h) => hostAllowed(h, own)))],
    allowPrivateNetwork: config.FERRY_ALLOW_PRIVATE_NETWORK && requested.allowPrivateNetwork !== false,
  };
}
