import { test, expect } from '@playwright/test';
import { ADMIN_PASSWORD } from '../playwright.config';
import { expectNoAxeViolations } from './pages/axe';
import { signIn } from './pages/login';
import { Shell } from './pages/shell';
import { SimulatorsPage } from './pages/simulators';

// The Simulators page shows what the in-process simulators received; a message said as
// Switchboard reaches the chat simulator over the webhook and appears live in another tab.
test('simulators: an admin says something as Switchboard and it appears live', async ({ page, context }) => {
  await signIn(page, 'admin', ADMIN_PASSWORD, '/simulators');
  const sims = new SimulatorsPage(page);
  await sims.open();
  await new Shell(page).expectLive();
  await expect(new Shell(page).nav()).toContainText('Simulators');
  // A second tab, open before the message is sent: it must learn of it by the live event.
  const other = await context.newPage();
  const watcher = new SimulatorsPage(other);
  await watcher.open();
  await new Shell(other).expectLive();

  const text = `Coffee in the kitchen ${Date.now()}`;
  await sims.say(text);
  await expect(sims.chatMessages()).toContainText(text);
  await expect(watcher.chatMessages()).toContainText(text);
  await expect(watcher.chatLog()).toContainText(text);
  await expect(watcher.chatLog().getByTestId('chat-log-row').first()).toHaveAttribute('data-status', 'sent');
  // pbxsim's queue and telsim's section are there too.
  await expect(sims.pbx()).toContainText('Queue support');
  await expect(sims.telsim()).toBeVisible();
  await expectNoAxeViolations(page, 'the simulators page');
  // At 1280 px nothing needs a sideways scroll.
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
  if (process.env.SIM_SCREENSHOT) await page.screenshot({ path: process.env.SIM_SCREENSHOT, fullPage: true });

  // The small /chat page has the same box.
  await page.goto('/chat');
  await expect(page.getByRole('heading', { name: 'Say as Switchboard' })).toBeVisible();
  await expectNoAxeViolations(page, 'the team chat page');
});
