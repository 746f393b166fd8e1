// Search attributes Ferry sets on its workflows so operators can find runs in the Web UI
// (e.g. `FerryStatus = "copying" AND FerryCloudType = "yadisk"`). Pure: safe in workflows.
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const FerryJob = defineSearchAttributeKey('FerryJob', SearchAttributeType.KEYWORD);
export const FerryStatus = defineSearchAttributeKey('FerryStatus', SearchAttributeType.KEYWORD);
export const FerryGalleryName = defineSearchAttributeKey('FerryGalleryName', SearchAttributeType.KEYWORD);
export const FerryCloudType = defineSearchAttributeKey('FerryCloudType', SearchAttributeType.KEYWORD);

export const FERRY_SEARCH_ATTRIBUTES = [FerryJob, FerryStatus, FerryGalleryName, FerryCloudType];

/** `--search-attribute` flags for `temporal server start-dev`. */
export const devServerSearchAttributeArgs = (): string[] =>
  FERRY_SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k.name}=Keyword`]);
