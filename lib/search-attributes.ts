// Search attributes Ferry sets on its workflows so operators can find runs in the Web UI
// (e.g. `FerryStatus = "copying" AND FerryCloudType = "yadisk"`). Search attributes are stored and
// indexed in plaintext (the payload codec cannot encrypt them), so they hold only Ferry's own
// vocabulary — never a user's data such as a gallery's name. Pure: safe in workflows.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const FerryJob = defineSearchAttributeKey('FerryJob', SearchAttributeType.KEYWORD);
export const FerryStatus = defineSearchAttributeKey('FerryStatus', SearchAttributeType.KEYWORD);
export const FerryCloudType = defineSearchAttributeKey('FerryCloudType', SearchAttributeType.KEYWORD);

export const FERRY_SEARCH_ATTRIBUTES = [FerryJob, FerryStatus, FerryCloudType];

/** `--search-attribute` flags for `temporal server start-dev`. */
export const devServerSearchAttributeArgs = (): string[] =>
  FERRY_SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k.name}=Keyword`]);
