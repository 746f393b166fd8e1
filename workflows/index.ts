// Every workflow of the `ferry` task queue. The worker bundles this file (workflowsPath).
export * from './copy-to-cloud';
export * from './cloud-archive';
export * from './etl-run';
export * from './ok-backup';
export * from './vk-backup';
