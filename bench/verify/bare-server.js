'use strict';
// The ceiling of the verify benchmark (issue 19): a bare Node `http` server that reads a POST body
// and answers a fixed JSON, the verifier's own answer to a held key (BARE_ANSWER), with the
// headers the verifier sends. It parses nothing and checks nothing: what is left of a verifier
// when the work of verifying is taken away. Started by bench/lib/verify.js on PORT, with the
// servers' NODE_OPTIONS.
const http = require('node:http');

const answer = Buffer.from(process.env.BARE_ANSWER || '{}');
const headers = {
  'Content-Type': 'application/json; charset=utf-8',
  'Content-Length': String(answer.length),
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
};

const server = http.createServer((req, res) => {
  /** @type {Buffer[]} */
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    // Read as the verifier reads it; a POST without a body is no verify request (GET: is it up?).
    const empty = Buffer.concat(chunks).toString('utf8').length === 0;
    res.writeHead(req.method === 'POST' && empty ? 400 : 200, headers);
    res.end(answer);
  });
});
server.keepAliveTimeout = 5000;
server.listen(Number(process.env.PORT), '127.0.0.1');
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
