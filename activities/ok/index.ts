// OK (Odnoklassniki) as a photo source of the photo-backup activities (activities/photo-backup/).
import { ApplicationFailure } from '@temporalio/common';
import type { Config } from '../../lib/config';
import { FailureType } from '../../lib/failures';
import type { PhotoSource } from '../photo-backup/source';
import { okClient } from './client';
import { listOkPhotos, OK_DEFAULT_PHOTO_SIZES } from './source';

export function okPhotoSource(config: Config): PhotoSource {
  return {
    fileHosts: config.OK_FILE_HOSTS,
    async list(req) {
      const { OK_APPLICATION_KEY: applicationKey, OK_APPLICATION_SECRET_KEY: applicationSecretKey } = config;
      if (!applicationKey || !applicationSecretKey) {
        throw ApplicationFailure.create({
          type: FailureType.ConfigurationError,
          message: 'OK backups need OK_APPLICATION_KEY and OK_APPLICATION_SECRET_KEY on the worker',
          nonRetryable: true,
        });
      }
      const accessToken = req.token ?? config.OK_ACCESS_TOKEN;
      if (!accessToken) {
        throw ApplicationFailure.create({
          type: FailureType.AuthRevoked,
          message: 'no OK access token: set OK_ACCESS_TOKEN (or pass one with the request)',
          nonRetryable: true,
        });
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
