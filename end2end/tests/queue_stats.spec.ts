import { test, expect } from '@playwright/test';
import { ADMIN_PASSWORD } from '../playwright.config';
import { expectNoAxeViolations } from './pages/axe';
import { hydrated, signIn } from './pages/login';
import { AdminPage } from './pages/admin';
import { Shell } from './pages/shell';
import { Pbxsim } from './pages/queue';
import { QueueStatsPage } from './pages/queue_stats';

const COORD = { username: 'qs-coord', name: 'Stats Coordinator', password: 'qs-coord-password-1' };

// The day's call statistics against the simulated PBX that `serve` runs in-process: a caller
// answered by a phone shows in the figures, the hour chart and the agents without a reload.
test('queue stats: a coordinator sees a call arrive and be answered in the day’s figures and charts', async ({ page, browser, request }) => {
  // A member left in the queue by another spec may ring first without answering (15 s).
  test.setTimeout(90_000);
  await signIn(page, 'admin', ADMIN_PASSWORD, '/admin');
  const admin = new AdminPage(page);
  await admin.open();
  if ((await admin.userRow(COORD.username).count()) === 0) {
    await admin.createUser(COORD.username, COORD.name, 'coordinator', COORD.password);
  }
  const coord = await (await browser.newContext()).newPage();
  await signIn(coord, COORD.username, COORD.password, '/queue/stats');
  await hydrated(coord);
  await new Shell(coord).expectLive();
  const stats = new QueueStatsPage(coord);
  await expect(coord.getByRole('heading', { name: 'Call statistics' })).toBeVisible();
  const received = await stats.count('received');
  const answered = await stats.count('answered');

  const pbx = new Pbxsim(request);
  await pbx.addMember('support', 'PJSIP/779', 'Stats Tester').catch(() => undefined);
  await pbx.phone('779', { registered: true, answers: true });
  await pbx.caller('support', '+34600779779');
  await expect(stats.figure('received')).toHaveText(String(received + 1));
  // Answered after a few (simulated) seconds: the live page follows.
  await expect(stats.figure('answered')).toHaveText(String(answered + 1), { timeout: 45_000 });
  await expect(stats.hourChart().locator('rect').first()).toBeVisible();
  await expect(stats.historyChart().locator('rect').first()).toBeVisible();
  // Whoever in the queue answered it (the member idle the longest) is in the agents' table.
  await expect(coord.getByTestId('agent-table').getByTestId('agent-row').first()).toBeVisible();
  await expect(coord.getByTestId('stats-export')).toHaveAttribute('href', /\/api\/queue\/stats\.csv\?day=\d{4}-\d{2}-\d{2}$/);
  await expectNoAxeViolations(coord, 'queue call statistics');
  if (process.env.QSTATS_SHOT) await coord.screenshot({ path: process.env.QSTATS_SHOT, fullPage: true });

  // Another day: its own figures (none yet), the history still there; back to today.
  const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  await coord.getByTestId('stats-day').fill(yesterday);
  await expect(coord.getByTestId('hour-chart-empty')).toBeVisible();
  await expect(stats.figure('received')).toHaveText('0');
  await coord.getByRole('button', { name: 'Today' }).click();
  await expect(stats.figure('received')).toHaveText(String(received + 1));
});
