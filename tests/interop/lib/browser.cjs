'use strict';
// Serves the test pages (with the real openvidu-browser bundle) and drives Debian's headless Chromium with playwright-core
// and Debian's Firefox ESR with puppeteer-core.
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

const CHROMIUM_FLAGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required',
];

async function startPageServer(host = '127.0.0.1') {
  const bundle = require.resolve('openvidu-browser/static/js/openvidu-browser-2.32.2.js');
  const pages = path.join(__dirname, '..', 'pages');
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/openvidu-browser.js') {
      res.writeHead(200, { 'Content-Type': 'text/javascript' });
      return fs.createReadStream(bundle).pipe(res);
    }
    const file = path.join(pages, path.basename(url.pathname === '/' ? 'viewer.html' : url.pathname));
    if (!fs.existsSync(file)) { res.writeHead(404); return res.end(); }
    res.writeHead(200, { 'Content-Type': 'text/html' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(0, host, r));
  const port = server.address().port;
  return { url: `http://127.0.0.1:${port}`, port, close: () => new Promise((r) => server.close(r)) };
}

/** Launches headless Chromium; `executablePath` may be a wrapper (e.g. one that runs it in a network namespace). */
async function launchBrowser(executablePath = process.env.CHROMIUM || '/usr/bin/chromium') {
  return chromium.launch({ executablePath, args: CHROMIUM_FLAGS });
}

/**
 * Launches Debian's Firefox ESR headless through puppeteer-core over WebDriver BiDi: a second browser engine with its
 * own WebRTC stack (and, offline, no H.264: OpenH264 is a download). The prefs let it use loopback ICE candidates.
 */
async function launchFirefox(executablePath = process.env.FIREFOX || '/usr/bin/firefox-esr') {
  const puppeteer = require('puppeteer-core');
  return puppeteer.launch({
    browser: 'firefox',
    executablePath,
    headless: true,
    extraPrefsFirefox: {
      'media.peerconnection.ice.loopback': true,
      'media.peerconnection.ice.obfuscate_host_addresses': false,
      'media.autoplay.default': 0,
      'media.navigator.permission.disabled': true,
    },
  });
}

module.exports = { startPageServer, launchBrowser, launchFirefox };
