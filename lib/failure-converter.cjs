// The failure converter of every Ferry client and worker, and of the workflow bundle: failure messages
// and stack traces leave the process as an encoded payload (`encodedAttributes`), which the payload
// codec encrypts like any other — an error that quotes a URL, a file name or a token never rests in
// plaintext in Temporal's history. Plain CommonJS because the SDK loads it by path: `require()`d in the
// main thread (clients, activities) and bundled by webpack into the workflow sandbox.
const { DefaultFailureConverter } = require('@temporalio/common');

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
