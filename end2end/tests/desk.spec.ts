import { test, expect, type Page } from '@playwright/test';
import { ADMIN_PASSWORD } from '../playwright.config';
import { signIn } from './pages/login';
import { AdminPage } from './pages/admin';
import { personFields } from './pages/rota';
import { DeskPage, ring } from './pages/desk';
import { expectNoAxeViolations } from './pages/axe';

const AGENT = { username: 'e2e-desk-agent', name: 'Dora Desk', password: 'dora-password-123', ext: '341' };
const OTHER = { username: 'e2e-desk-other', name: 'Oscar Other', password: 'oscar-password-123', ext: '342' };
// A caller the directory knows (national form: the PBX sends it so), and two it does not.
const KNOWN = '611 140 001';
const KNOWN_E164 = '+34611140001';
const UNKNOWN = '+34611140099';
const UNKNOWN_2 = '+34611140098';

let token = '';

async function asAdmin(page: Page, next: string) {
  await signIn(page, 'admin', ADMIN_PASSWORD, next);
}

test.describe.serial('desk', () => {
  test('an admin sets up two agents with extensions, a pbx token and a known caller', async ({ page }) => {
    await asAdmin(page, '/admin');
    const admin = new AdminPage(page);
    await admin.open();
    for (const a of [AGENT, OTHER]) {
      if ((await admin.userRow(a.username).count()) === 0) {
        await admin.createUser(a.username, a.name, 'agent', a.password);
      }
    }
    await admin.open(); // the new users' password boxes go away
    token = await admin.createToken('e2e-desk-pbx', 'pbx');
    for (const a of [AGENT, OTHER]) {
      const saved = await page.request.post('/api/rota/person/save', {
        data: { id: null, account: a.username, fields: personFields(a.username, a.name, { extension: a.ext, ideal_load: null }) },
      });
      expect([200, 409]).toContain(saved.status());
    }
    const created = await page.request.post('/api/directory/create', {
      data: { input: { kind: 'person', name: 'Roser Desk', phones: [KNOWN], emails: ['roser@example.org'],
                       tax_id: '12345678Z', member_number: '04242', notes: '' } },
    });
    expect(created.status()).toBe(200);
    const id = (await created.json()).id;
    const contract = await page.request.post('/api/directory/contract/add', {
      data: { contact: id, input: { number: '0099123', address: 'Carrer Major 7, Girona', state: 'active', starts_on: '2025-02-01', ends_on: null } },
    });
    expect(contract.status()).toBe(200);
    const alert = await page.request.post('/api/directory/alert/add', {
      data: { contact: id, input: { text: 'Supply cut off since Monday', severity: 'danger' } },
    });
    expect(alert.status()).toBe(200);
    // An earlier call, while nobody is signed in: recorded all the same.
    expect((await ring(page.request, token, AGENT.ext, KNOWN, 'e2e.1')).result).toBe('ok');
  });

  test('a ringing call opens the card in that agent’s browser only; lock keeps it; a new contact', async ({ browser }) => {
    const mine = await (await browser.newContext()).newPage();
    const theirs = await (await browser.newContext()).newPage();
    await signIn(mine, AGENT.username, AGENT.password, '/desk');
    await signIn(theirs, OTHER.username, OTHER.password, '/desk');
    const desk = new DeskPage(mine);
    const other = new DeskPage(theirs);
    await desk.open();
    await other.open();
    // The earlier call is shown as my latest; the other agent has had none.
    await expect(desk.phone()).toHaveText(KNOWN_E164);
    await expect(other.noCall()).toBeVisible();

    const rang = await ring(mine.request, token, AGENT.ext, KNOWN, 'e2e.2');
    await expect(desk.card()).toHaveAttribute('data-call', String(rang.call));
    await expect(desk.alerts()).toContainText('Supply cut off since Monday');
    await expect(desk.contracts()).toContainText('0099123');
    await expect(desk.contracts()).toContainText('Carrer Major 7, Girona');
    await expect(mine.getByTestId('tax-id')).toHaveText('12345678Z');
    await expect(desk.earlier().locator('tbody tr')).toHaveCount(1);
    await expectNoAxeViolations(mine, 'desk, a known caller’s card');

    // The other agent's browser showed nothing; its own call reaches it.
    await expect(other.noCall()).toBeVisible();
    const theirCall = await ring(theirs.request, token, OTHER.ext, UNKNOWN_2);
    await expect(other.card()).toHaveAttribute('data-call', String(theirCall.call));
    await expect(other.phone()).toHaveText(UNKNOWN_2);
    await expect(desk.card()).toHaveAttribute('data-call', String(rang.call));

    // Locked: the next call waits behind a button.
    await desk.lock();
    const next = await ring(mine.request, token, AGENT.ext, UNKNOWN);
    await expect(mine.getByTestId('show-waiting')).toBeVisible();
    await expect(desk.card()).toHaveAttribute('data-call', String(rang.call));
    await desk.showWaiting();
    await expect(desk.card()).toHaveAttribute('data-call', String(next.call));
    await expect(mine.getByTestId('unknown-number')).toBeVisible();
    await expectNoAxeViolations(mine, 'desk, an unknown number');
    await desk.newContact('Nou Contacte');
    await expect(mine.getByTestId('contact-name')).toContainText('Nou Contacte');

    // The card opens in its own tab too.
    const tab = await mine.context().newPage();
    await tab.goto(`/desk/call/${rang.call}`);
    await expect(tab.getByTestId('card-phone')).toHaveText(KNOWN_E164);
    await expect(tab.getByTestId('alerts')).toContainText('Supply cut off since Monday');
  });
});
