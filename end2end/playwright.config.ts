// Playwright configuration for the Infradesk browser tests.
//
// Install the dependencies WITHOUT letting Playwright fetch its own browser
// (those downloads fail on these machines; Debian's Chromium is used instead):
//
//   cd end2end && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci
//
// This config has no `webServer` block on purpose: whoever runs the suite
// (cargo-leptos `end-to-end`, or a CI script) starts the Infradesk server first
// and points the tests at it:
//
//   INFRADESK_E2E_BASE_URL=http://127.0.0.1:3000 npx playwright test
//
// Environment:
//   INFRADESK_E2E_BASE_URL  server under test (default http://127.0.0.1:3000)
//   CHROMIUM_PATH           Chromium binary (default /usr/bin/chromium, Debian's `chromium` package)
import { defineConfig } from '@playwright/test';

const baseURL = process.env.INFRADESK_E2E_BASE_URL ?? 'http://127.0.0.1:3000';
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export default defineConfig({
  testDir: '.',
  testMatch: '**/*.spec.ts',
  outputDir: 'test-results',
  fullyParallel: false,
  workers: 1,
  // One retry in CI: a run on a heavily loaded 2-core machine once saw the first page of the
  // run fail to hydrate with an empty exception (not reproduced since; see the session notes).
  // A retried test still shows as "flaky" in the report, so the flake stays visible.
  retries: process.env.CI ? 1 : 0,
  forbidOnly: !!process.env.CI,
  reporter: 'list',
  // A debug build's wasm bundle is several MB; hydration can take a moment.
  timeout: 60_000,
  expect: { timeout: 10_000 },
  use: {
    baseURL,
    screenshot: 'only-on-failure',
    // Kept only for a failed first attempt, to diagnose the hydration flake above.
    trace: 'retain-on-first-failure',
    video: 'off',
  },
  projects: [
    {
      name: 'chromium',
      use: {
        browserName: 'chromium',
        launchOptions: {
          executablePath: chromiumPath,
          // Without the background-networking flags Chromium keeps trying to
          // reach Google's hosts, which this machine's closed network refuses.
          args: [
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      },
    },
  ],
});
