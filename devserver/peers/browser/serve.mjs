/*
 * Tiny static HTTP server for the browser peer page: / and the page's scripts from this
 * folder, /lib/* from devserver/node_modules/livekit-client/dist. GET/HEAD only, no directory
 * listings, nothing outside those two folders. Runs on the caller's Node event loop.
 *
 *   import { startStaticServer } from './serve.mjs';
 *   const { url, close } = await startStaticServer({ host: '127.0.0.1', port: 0 });
 */
import http from 'node:http';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const libDir = path.resolve(here, '../../node_modules/livekit-client/dist');

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json',
};

function resolve(urlPath) {
  let decoded;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded === '/') decoded = '/index.html';
  const [root, rel] = decoded.startsWith('/lib/') ? [libDir, decoded.slice(5)] : [here, decoded.slice(1)];
  const file = path.resolve(root, rel);
  if (!file.startsWith(root + path.sep) || !types[path.extname(file)]) return null;
  return file;
}

export async function startStaticServer({ host = '127.0.0.1', port = 0 } = {}) {
  const server = http.createServer(async (req, res) => {
    const file = req.method === 'GET' || req.method === 'HEAD' ? resolve(new URL(req.url, 'http://x').pathname) : null;
    let body = null;
    if (file) body = await fs.readFile(file).catch(() => null);
    if (!body) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    res.writeHead(200, { 'content-type': types[path.extname(file)], 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  });
  await new Promise((ok, fail) => server.once('error', fail).listen(port, host, ok));
  const addr = server.address();
  const shownHost = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    url: `http://${shownHost}:${addr.port}/`,
    close: () => new Promise((ok) => { server.closeAllConnections(); server.close(() => ok()); }),
  };
}

// `node serve.mjs [port]`: serve the page for a look in a local browser.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { url } = await startStaticServer({ port: Number(process.argv[2] || 0) });
  console.log(`serving ${url}`);
}
