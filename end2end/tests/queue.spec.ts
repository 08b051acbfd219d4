import { test, expect } from '@playwright/test';
import { ADMIN_PASSWORD } from '../playwright.config';
import { expectNoAxeViolations } from './pages/axe';
import { hydrated, signIn } from './pages/login';
import { Shell } from './pages/shell';
import { Pbxsim, QueuePage } from './pages/queue';

// The live queue console against the simulated PBX that `serve` runs in-process: what happens
// at the PBX shows without a reload; pausing and resuming go to the PBX and are logged.
test('queue: a member appears live, goes off-line and back, is paused with a reason and resumed', async ({ page, request }) => {
  const pbx = new Pbxsim(request);
  const queue = new QueuePage(page);
  await signIn(page, 'admin', ADMIN_PASSWORD, '/queue');
  await hydrated(page);
  await new Shell(page).expectLive();
  await expect(queue.summary()).toContainText('PBX connected');

  await pbx.addMember('support', 'PJSIP/777', 'Queue Tester');
  const row = queue.member('PJSIP/777');
  await expect(row).toHaveAttribute('data-state', 'Available');
  await pbx.phone('777', { registered: false });
  await expect(row).toHaveAttribute('data-state', 'Disconnected');
  await pbx.phone('777', { registered: true });
  await expect(row).toHaveAttribute('data-state', 'Available');

  await queue.pause('PJSIP/777', 'Queue Tester', 'training');
  await expect(row).toContainText('paused: training');
  await expect(queue.log()).toContainText('paused PJSIP/777: training');
  await expectNoAxeViolations(page, 'the queue console');
  await queue.resume('PJSIP/777');
  await expect(row).toHaveAttribute('data-state', 'Available');
  await expect(queue.log()).toContainText('resumed PJSIP/777');
});
