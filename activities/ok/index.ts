// OK (Odnoklassniki) as a photo source of the photo-backup activities (activities/photo-backup/).
import type { Config } from '../../lib/config';
import { failure, FailureType } from '../../lib/failures';
import type { PhotoSource } from '../photo-backup/source';
import { okClient } from './client';
import { listOkPhotos, OK_DEFAULT_PHOTO_SIZES } from './source';

export function okPhotoSource(config: Config): PhotoSource {
  return {
    fileHosts: config.OK_FILE_HOSTS,
    async list(req) {
      const { OK_APPLICATION_KEY: applicationKey, OK_APPLICATION_SECRET_KEY: applicationSecretKey } = config;
      if (!applicationKey || !applicationSecretKey) {
        throw failure(
          FailureType.ConfigurationError,
          'OK backups need OK_APPLICATION_KEY and OK_APPLICATION_SECRET_KEY on the worker',
        );
      }
      const accessToken = req.token ?? config.OK_ACCESS_TOKEN;
      if (!accessToken) {
        throw failure(
          FailureType.AuthRevoked,
          'no OK access token: set OK_ACCESS_TOKEN (or pass one with the request)',
        );
      }
      const client = okClient({
        apiUrl: config.OK_API_URL,
        applicationKey,
        applicationSecretKey,
        accessToken,
        requestsPerSecond: config.OK_REQUESTS_PER_SECOND,
      });
      return listOkPhotos(client, {
        user: req.user,
        album: req.album,
        limit: req.limit,
        photoSizes: config.OK_PHOTO_SIZES ?? OK_DEFAULT_PHOTO_SIZES,
        onPage: req.onPage,
      });
    },
  };
}
