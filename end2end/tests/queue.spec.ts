import { test, expect } from '@playwright/test';
import { ADMIN_PASSWORD } from '../playwright.config';
import { expectNoAxeViolations } from './pages/axe';
import { hydrated, signIn } from './pages/login';
import { Shell } from './pages/shell';
import { Pbxsim, QueuePage } from './pages/queue';
import { AdminPage } from './pages/admin';
import { personFields } from './pages/rota';

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

// Hand changes and agents steering themselves: a coordinator (here an admin) adds an agent and
// someone else for the rest of the turn and removes one; the agent pauses and resumes only
// their own phone; then a caller rings the agent's phone and is answered, live on the console.
const QAGENT = { username: 'e2e-queue-agent', name: 'Quima Agent', password: 'quima-password-123', ext: '451' };
const QOTHER = { handle: 'e2e-queue-other', name: 'Quirze Other', ext: '452' };

test.describe.serial('queue by hand', () => {
  test('a coordinator adds members for the rest of the turn and removes one', async ({ page }) => {
    await signIn(page, 'admin', ADMIN_PASSWORD, '/admin');
    const admin = new AdminPage(page);
    await admin.open();
    if ((await admin.userRow(QAGENT.username).count()) === 0) {
      await admin.createUser(QAGENT.username, QAGENT.name, 'agent', QAGENT.password);
    }
    for (const p of [
      { account: QAGENT.username, handle: QAGENT.username, name: QAGENT.name, ext: QAGENT.ext },
      { account: null, handle: QOTHER.handle, name: QOTHER.name, ext: QOTHER.ext },
    ]) {
      const saved = await page.request.post('/api/rota/person/save', {
        data: { id: null, account: p.account, fields: personFields(p.handle, p.name, { extension: p.ext, ideal_load: null }) },
      });
      expect([200, 409]).toContain(saved.status());
    }
    const queue = new QueuePage(page);
    await page.goto('/queue');
    await hydrated(page);
    await expect(queue.summary()).toContainText('PBX connected');
    await queue.addMember(`${QAGENT.name} (${QAGENT.ext})`);
    await expect(queue.member(`PJSIP/${QAGENT.ext}`)).toHaveAttribute('data-state', 'Available');
    await queue.addMember(`${QOTHER.name} (${QOTHER.ext})`);
    await expect(queue.member(`PJSIP/${QOTHER.ext}`)).toContainText(QOTHER.name);
    await expect(queue.log()).toContainText(`added ${QOTHER.handle} (PJSIP/${QOTHER.ext}) by hand until`);
    // Already in the queue: a clear message, nothing added.
    await queue.addMember(`${QOTHER.name} (${QOTHER.ext})`);
    await expect(page.getByText(`${QOTHER.name} (PJSIP/${QOTHER.ext}) is already in the queue`)).toBeVisible();
    await queue.remove(`PJSIP/${QOTHER.ext}`);
    await expect(queue.member(`PJSIP/${QOTHER.ext}`)).toHaveCount(0);
    await expect(queue.log()).toContainText(`removed ${QOTHER.handle} (PJSIP/${QOTHER.ext}) by hand until`);
  });

  test('an agent pauses and resumes themself, and has no control over the others', async ({ page, request }) => {
    const pbx = new Pbxsim(request);
    // Someone else in the queue (configured at the PBX).
    await pbx.addMember('support', 'PJSIP/453', 'Queue Neighbour');
    const queue = new QueuePage(page);
    await signIn(page, QAGENT.username, QAGENT.password, '/queue');
    await hydrated(page);
    const mine = queue.member(`PJSIP/${QAGENT.ext}`);
    await expect(mine).toHaveAttribute('data-state', 'Available');
    await expect(queue.member('PJSIP/453')).toBeVisible();
    await expect(queue.controls('PJSIP/453')).toHaveCount(0);
    await expect(queue.member('PJSIP/453').getByRole('textbox')).toHaveCount(0);
    await expect(page.getByTestId('add-member')).toHaveCount(0);
    await expect(mine.getByRole('button', { name: /^Remove / })).toHaveCount(0);
    // The server function refuses what the page does not offer.
    const refused = await page.request.post('/api/queue/pause', {
      data: { interface: 'PJSIP/453', paused: true, reason: 'not mine' },
    });
    expect(refused.status()).toBe(403);
    await expect(queue.member('PJSIP/453')).toHaveAttribute('data-state', 'Available');

    await queue.pause(`PJSIP/${QAGENT.ext}`, QAGENT.name, 'coffee');
    await expect(mine).toContainText('paused: coffee');
    await expect(queue.log()).toContainText(`agent (${QAGENT.username}) · paused PJSIP/${QAGENT.ext}: coffee`);
    await queue.resume(`PJSIP/${QAGENT.ext}`);
    await expect(mine).toHaveAttribute('data-state', 'Available');
    await expect(queue.log()).toContainText(`resumed PJSIP/${QAGENT.ext}`);
  });

  test('the console shows a member ringing, then in a call, as the PBX moves', async ({ page, request }) => {
    const pbx = new Pbxsim(request);
    // Only the agent's phone may ring: every other member is paused (as an admin).
    await signIn(page, 'admin', ADMIN_PASSWORD, '/queue');
    const board = await (await page.request.post('/api/queue/board', { data: {} })).json();
    const others = Object.keys(board.board.members).filter((i) => i !== `PJSIP/${QAGENT.ext}`);
    for (const i of others) {
      if (board.board.members[i].state === 'paused') continue;
      const r = await page.request.post('/api/queue/pause', { data: { interface: i, paused: true, reason: 'e2e: not ringing' } });
      expect(r.status()).toBe(200);
    }
    const queue = new QueuePage(page);
    await hydrated(page);
    const row = queue.member(`PJSIP/${QAGENT.ext}`);
    await expect(row).toHaveAttribute('data-state', 'Available');
    await pbx.caller('support', '+34611140555');
    await expect(row).toHaveAttribute('data-state', 'Ringing');
    await expect(row).toHaveAttribute('data-state', 'InCall');
    await expect(row.getByText('in a call')).toBeVisible();
    for (const i of others) {
      if (board.board.members[i].state === 'paused') continue;
      const r = await page.request.post('/api/queue/pause', { data: { interface: i, paused: false } });
      expect(r.status()).toBe(200);
    }
  });
});
