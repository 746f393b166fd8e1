// The cloud_archive job's contract, shared by the API (which starts, updates and queries the workflow)
// and the workflow itself: input, the public status shape, and the update/query definitions.
// Pure: safe to import from workflows.
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { CloudKind } from './copy-to-cloud';

export type ArchiveType = 'webs' | 'originals';
export type OAuthProvider = 'google' | 'yandex';

export const providerOf = (cloud: CloudKind): OAuthProvider => (cloud === 'google_drive' ? 'google' : 'yandex');

export type CloudArchiveState =
  'awaiting_authorization' | 'listing' | 'copying' | 'notifying' | 'done' | 'failed' | 'expired';

/** What the front end asked for, validated by the API (field names as the gallery sends them). */
export interface CloudArchiveRequest {
  redirect_success_link: string;
  redirect_fail_link: string;
  archive_url: string;
  gallery_name: string;
  archive_type: ArchiveType;
  cloud_type: CloudKind;
}

export interface CloudArchiveInput {
  requestId: string;
  request: CloudArchiveRequest;
  /** PKCE verifier: lives only here (encrypted by the payload codec) and in the exchange activity. */
  codeVerifier: string;
  /** FERRY_PUBLIC_URL + /oauth/<provider>/callback: the token endpoint wants the exact same value. */
  redirectUri: string;
  createdAt: string;
  /** From the API's configuration: workflows cannot read the environment. */
  settings: {
    authTimeoutMs: number;
    copyMaxAttempts: number;
    doneRetry: { initialMs: number; maxMs: number; deadlineMs: number };
  };
}

export interface FileProblem {
  /** The listing's name of the file, or the path it was given at the destination. */
  name: string;
  reason: string;
}

export interface CloudArchiveReport {
  failed_photos: number;
  copied: number;
  already_there: number;
  /** The first 1,000 files that were not copied, with why. */
  failed: FileProblem[];
  /** Files stored under another name because a different file had theirs. */
  renamed: Array<{ name: string; from: string }>;
  notified_at: string | null;
}

export interface CloudArchiveStatus {
  id: string;
  state: CloudArchiveState;
  gallery_name: string;
  cloud_type: CloudKind;
  archive_type: ArchiveType;
  created_at: string;
  expires_at: string;
  progress: {
    files: { total: number; done: number; failed: number };
    bytes: { total: number; done: number; failed: number };
  };
  report: CloudArchiveReport | null;
  error: { type: string; message: string } | null;
}

/** The callback's outcome: where to send the user. Never carries tokens. */
export interface AuthorizeResult {
  ok: boolean;
  redirect: string;
}

export interface AuthorizeArgs {
  provider: OAuthProvider;
  code?: string;
  /** The provider's `error` parameter (access_denied, ...). */
  error?: string;
}

/** Delivered once per request: the update's validator refuses a second one (single-use state). */
export const authorizeUpdate = defineUpdate<AuthorizeResult, [AuthorizeArgs]>('cloudArchiveAuthorize');
export const statusQuery = defineQuery<CloudArchiveStatus>('cloudArchiveStatus');
/** For the callback of a request that can no longer be authorized: expired (fail link) or used (400). */
export const callbackInfoQuery = defineQuery<{ state: CloudArchiveState; failLink: string }>(
  'cloudArchiveCallbackInfo',
);

export const workflowIdOf = (requestId: string) => `cloud-archive-${requestId}`;
export const copyWorkflowIdOf = (requestId: string) => `cloud-archive-${requestId}-copy`;
