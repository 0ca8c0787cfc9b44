'use strict';
// The demo camera wall served at "/": a newcomer adds a camera by its RTSP URL and sees it live.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const fs = require('node:fs');
const { startSightline, startCamera, waitFor, repoRoot } = require('./lib/sightline.cjs');
const { launchBrowser } = require('./lib/browser.cjs');

test('the demo page adds a camera by URL and shows it live (screenshot kept in .test-output)', async () => {
  const camera = await startCamera(['--codec', 'h264', '--width', '640', '--height', '360']);
  const server = await startSightline();
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(server.url + '/');
    await page.fill('input[name=sessionId]', 'lobby');
    await page.fill('input[name=rtspUri]', camera.url);
    await page.click('#add button');
    await waitFor(() => page.evaluate(() => {
      const v = document.querySelector('#wall video');
      return !!v && v.videoWidth === 640 && v.currentTime > 1;
    }), 15000, 'the camera to play on the wall');
    await waitFor(() => page.evaluate(() => document.querySelector('#sessions')?.textContent.includes('playing')), 8000, 'the list to show the camera playing');
    const text = await page.evaluate(() => document.querySelector('#sessions').textContent);
    assert.match(text, /lobby/);
    assert.ok(!text.includes('secret'), 'no secret reaches the page');
    const out = path.join(repoRoot, '.test-output');
    fs.mkdirSync(out, { recursive: true });
    await page.screenshot({ path: path.join(out, 'demo-camera-wall.png') });
  } finally {
    await browser.close();
    await server.stop();
    await camera.stop();
  }
});
