'use strict';
// Opens a page in Debian's headless Chromium (playwright-core, no downloaded browser), waits, then prints what the
// page's window.result() returns as one line "RESULT <json>". Usage: node chromium-page.cjs <url> <seconds> [screenshot.png]
const { launchBrowser } = require('../lib/browser.cjs');

async function main() {
  const [url, seconds, screenshot] = process.argv.slice(2);
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    page.on('console', (m) => console.log(`page: ${m.text()}`));
    page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
    await page.goto(url);
    await page.waitForTimeout(Number(seconds) * 1000);
    const result = await page.evaluate(() => window.result());
    if (screenshot) await page.screenshot({ path: screenshot });
    console.log('RESULT ' + JSON.stringify(result));
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.log('ERROR ' + e.message);
  process.exit(1);
});
