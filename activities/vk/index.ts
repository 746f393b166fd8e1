// VK as a photo source of the photo-backup activities (activities/photo-backup/).
import { ApplicationFailure } from '@temporalio/common';
import type { Config } from '../../lib/config';
import { FailureType } from '../../lib/failures';
import type { PhotoSource } from '../photo-backup/source';
import { vkApi } from './client';
import { listVkPhotos } from './source';

export function vkPhotoSource(config: Config): PhotoSource {
  return {
    fileHosts: config.VK_FILE_HOSTS,
    async list(req) {
      const token = req.token ?? config.VK_TOKEN;
      if (!token) {
        throw ApplicationFailure.create({
          type: FailureType.AuthRevoked,
          message: 'no VK token: set VK_TOKEN (or pass one with the request)',
          nonRetryable: true,
        });
      }
      const api = vkApi({ baseUrl: config.VK_API_URL, token, requestsPerSecond: config.VK_REQUESTS_PER_SECOND });
      return listVkPhotos(api, { user: req.user, album: req.album, limit: req.limit, onPage: req.onPage });
    },
  };
}
