// VK as a photo source of the photo-backup activities (activities/photo-backup/).
import type { Config } from '../../lib/config';
import { failure, FailureType } from '../../lib/failures';
import type { PhotoSource } from '../photo-backup/source';
import { vkApi } from './client';
import { listVkPhotos } from './source';

export function vkPhotoSource(config: Config): PhotoSource {
  return {
    fileHosts: config.VK_FILE_HOSTS,
    async list(req) {
      const token = req.token ?? config.VK_TOKEN;
      if (!token) {
        throw failure(FailureType.AuthRevoked, 'no VK token: set VK_TOKEN (or pass one with the request)');
      }
      const api = vkApi({ baseUrl: config.VK_API_URL, token, requestsPerSecond: config.VK_REQUESTS_PER_SECOND });
      return listVkPhotos(api, { user: req.user, album: req.album, limit: req.limit, onPage: req.onPage });
    },
  };
}
