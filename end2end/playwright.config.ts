import { defineConfig } from '@playwright/test';

// The app under test: the debug build started on its own port and database
// (the Makefile re-creates `switchboard_e2e` before each run).
const PORT = process.env.E2E_PORT ?? '3107';
export const BASE_URL = `http://127.0.0.1:${PORT}`;
export const ADMIN_PASSWORD = 'e2e-admin-password';
// The in-process simulated PBX's control interface, so tests can play the PBX's side.
export const PBXSIM_SECRET = 'e2e-pbxsim-secret';
export const PBXSIM_CONTROL = `http://127.0.0.1:${Number(PORT) + 1000}`;
export const SOLVER_HOLD_SEED = '4242';
// The CRM simulator `serve` starts when SWITCHBOARD_CRMSIM_ADDR is set: cards ask it.
export const CRMSIM_TOKEN = 'e2e-crmsim-token';
export const CRMSIM_URL = `http://127.0.0.1:${Number(PORT) + 2000}`;

export default defineConfig({
  testDir: './tests',
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  use: {
    baseURL: BASE_URL,
    trace: 'retain-on-failure',
    screenshot: 'only-on-failure',
    launchOptions: {
      executablePath: '/usr/bin/chromium',
      args: [
        '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run',
      ],
    },
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium', viewport: { width: 1280, height: 800 } } }],
  webServer: {
    command: './target/debug/switchboard serve',
    cwd: '..',
    url: `${BASE_URL}/readyz`,
    timeout: 120_000,
    reuseExistingServer: false,
    stdout: 'pipe',
    env: {
      SWITCHBOARD_ADDR: `127.0.0.1:${PORT}`,
      SWITCHBOARD_DB_NAME: process.env.SWITCHBOARD_DB_NAME ?? 'switchboard_e2e',
      SWITCHBOARD_ADMIN_PASSWORD: ADMIN_PASSWORD,
      SWITCHBOARD_PBXSIM_SECRET: PBXSIM_SECRET,
      SWITCHBOARD_PBXSIM_CONTROL_ADDR: `127.0.0.1:${Number(PORT) + 1000}`,
      // A solver run with this seed holds until it is stopped: the stop button's test cannot miss.
      SWITCHBOARD_SOLVER_HOLD_SEED: SOLVER_HOLD_SEED,
      SWITCHBOARD_CRMSIM_ADDR: `127.0.0.1:${Number(PORT) + 2000}`,
      SWITCHBOARD_CRM_TOKEN: CRMSIM_TOKEN,
      // Long enough that the test sees the card drawn while the CRM is still being asked.
      SWITCHBOARD_CRM_BUDGET_MS: '3000',
      LEPTOS_SITE_ROOT: 'target/site',
      RUST_LOG: 'warn',
    },
  },
});
