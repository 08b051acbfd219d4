import { test, expect, type Page } from '@playwright/test';
import { ADMIN_PASSWORD } from '../playwright.config';
import { signIn } from './pages/login';
import { AdminPage } from './pages/admin';
import { personFields } from './pages/rota';
import { AnnotationPanel, CallLog, Crmsim, DeskPage, DeskSearch, importCategories, ring } from './pages/desk';
import { expectNoAxeViolations } from './pages/axe';
import { Pbxsim } from './pages/queue';

const AGENT = { username: 'e2e-desk-agent', name: 'Dora Desk', password: 'dora-password-123', ext: '341' };
const COORD = { username: 'e2e-desk-coord', name: 'Cora Coord', password: 'cora-password-123' };
const OTHER = { username: 'e2e-desk-other', name: 'Oscar Other', password: 'oscar-password-123', ext: '342' };
// A caller the directory knows (national form: the PBX sends it so), and two it does not.
const KNOWN = '611 140 001';
const KNOWN_E164 = '+34611140001';
const UNKNOWN = '+34611140099';
const UNKNOWN_2 = '+34611140098';
// Numbers only the outside CRM knows (asked once each: the desk keeps a CRM answer 30 s).
const CRM_ONLY = '+34611140066';
const CRM_SLOW = '+34611140067';

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

  test('the agent searches, annotates a ringing call with two categories, and it shows annotated in their day', async ({ browser }) => {
    const admin = await (await browser.newContext()).newPage();
    await asAdmin(admin, '/desk/categories');
    await importCategories(admin, [
      'code;name;colour;keywords;kind;enabled',
      'E2EINV;Factura;#1f77b4;invoice|bill;claim;yes',
      'E2ESUP;Subministrament;#2ca02c;supply|cut;information;yes',
      'E2EOFF;Retired one;#999999;;information;no',
    ].join('\n'));

    const page = await (await browser.newContext()).newPage();
    await signIn(page, AGENT.username, AGENT.password, '/desk');
    const desk = new DeskPage(page);
    await desk.open();

    // The search box guesses a nationally typed number is a phone and finds the known caller.
    const search = new DeskSearch(page);
    await search.search(KNOWN);
    await expect(search.guess()).toHaveAttribute('data-field', 'phone');
    await expect(search.results()).toContainText('Roser Desk');
    await search.search('roser DESK');
    await expect(search.guess()).toHaveAttribute('data-field', 'name');
    await expect(search.results()).toContainText('Roser Desk');

    const rang = await ring(page.request, token, AGENT.ext, KNOWN, 'e2e.3');
    await expect(desk.card()).toHaveAttribute('data-call', String(rang.call));
    const note = new AnnotationPanel(page);
    await expect(note.status()).toHaveAttribute('data-annotated', 'false');
    // No category: refused with the reason.
    await note.save();
    await expect(note.error()).toContainText('at least one category');
    // The filter box finds categories by keyword; disabled ones are not offered.
    await note.panel().getByTestId('category-filter').fill('retired');
    await expect(note.panel().getByText('No category matches.')).toBeVisible();
    await note.choose('bill', 'Factura');
    await note.choose('supply', 'Subministrament');
    await note.comment('Asked why the supply was cut');
    await note.save();
    await expect(note.status()).toHaveAttribute('data-annotated', 'true');
    await expect(note.status()).toContainText('Factura');
    await expect(note.status()).toContainText('Subministrament');
    await expectNoAxeViolations(page, 'desk, an annotated call');

    const log = new CallLog(page);
    await log.openDay();
    await expect(log.row(rang.call)).toHaveAttribute('data-annotated', 'true');
    await expect(log.row(rang.call)).toContainText('Factura');
    // Live: a new ringing call appears in the day without a reload, marked to annotate.
    const next = await ring(page.request, token, AGENT.ext, UNKNOWN, 'e2e.4');
    await expect(log.row(next.call)).toHaveAttribute('data-annotated', 'false');
    await expect(log.rows().first()).toHaveAttribute('data-call', String(next.call));
    await expectNoAxeViolations(page, 'my calls today');
  });

  test('a coordinator filters the team log and exports it', async ({ browser }) => {
    const admin = await (await browser.newContext()).newPage();
    await asAdmin(admin, '/admin');
    const adminPage = new AdminPage(admin);
    await adminPage.open();
    if ((await adminPage.userRow(COORD.username).count()) === 0) {
      await adminPage.createUser(COORD.username, COORD.name, 'coordinator', COORD.password);
    }
    const page = await (await browser.newContext()).newPage();
    await signIn(page, COORD.username, COORD.password, '/desk/log');
    const log = new CallLog(page);
    await log.openTeam();
    await expect(page.getByTestId('category-chart')).toContainText('Factura');
    await log.filterAgent(AGENT.name);
    await expect(log.rows().first()).toBeVisible();
    await expect(log.rows().filter({ hasNotText: AGENT.name })).toHaveCount(0);
    const agentRows = await log.rows().count();
    expect(agentRows).toBeGreaterThanOrEqual(3);
    await log.filterAnnotated('yes');
    await expect(log.rows()).toHaveCount(1);
    await expect(log.rows().first()).toContainText('Factura');
    const csv = await log.exportCsv();
    expect(csv.name).toMatch(/^calls-\d{4}-\d{2}-\d{2}\.csv$/);
    const lines = csv.text.trim().split('\n');
    expect(lines[0]).toContain('call,rang_at,extension,phone,agent');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('E2EINV|E2ESUP');
    expect(lines[1]).toContain(AGENT.name);
    await log.filterAnnotated('no');
    await expect(log.rows()).toHaveCount(agentRows - 1);
    await expectNoAxeViolations(page, 'team call log, filtered');
  });
  test('a caller at the simulated PBX rings the agent’s phone and their card appears', async ({ browser }) => {
    const page = await (await browser.newContext()).newPage();
    await signIn(page, AGENT.username, AGENT.password, '/desk');
    const desk = new DeskPage(page);
    await desk.open();
    const before = await desk.card().getAttribute('data-call');
    // The agent's phone is in the PBX's queue; a caller the directory knows arrives there.
    const pbx = new Pbxsim(page.request);
    await pbx.addMember('support', `PJSIP/${AGENT.ext}`, AGENT.name);
    await pbx.caller('support', KNOWN);
    await expect(desk.card()).not.toHaveAttribute('data-call', before ?? '');
    await expect(desk.phone()).toHaveText(KNOWN_E164);
    await expect(desk.alerts()).toContainText('Supply cut off since Monday');
    await expect(desk.contracts()).toContainText('0099123');
  });

  test('the CRM’s part comes apart from the card, marked as the CRM’s; a slow CRM is said and holds nothing up', async ({ browser }) => {
    const page = await (await browser.newContext()).newPage();
    const crm = new Crmsim(page.request);
    await crm.mode({});
    await crm.records([{
      id: 'CRM-7001', kind: 'person', name: 'Pere Crm', phones: [CRM_ONLY],
      contracts: [{ number: 'ES-7001', address: 'Carrer Nou 3', state: 'in service', starts_on: '2024-03-01' }],
      alerts: [{ text: 'Invoice 2026-11 unpaid', severity: 'debt' }],
      url: 'https://crm.example.org/customers/7001',
    }]);
    await signIn(page, AGENT.username, AGENT.password, '/desk');
    const desk = new DeskPage(page);
    await desk.open();
    await ring(page.request, token, AGENT.ext, CRM_ONLY);
    await expect(desk.phone()).toHaveText(CRM_ONLY);
    // The directory does not know the number; the CRM does, and says so under its own heading.
    await expect(page.getByTestId('unknown-number')).toBeVisible();
    await expect(desk.crm().getByRole('heading', { name: 'From the CRM' })).toBeVisible();
    await expect(desk.crm().getByTestId('crm-name')).toHaveText('Pere Crm');
    await expect(desk.crm()).toContainText('Invoice 2026-11 unpaid');
    await expect(desk.crm().getByTestId('crm-contracts')).toContainText('ES-7001');
    await expect(desk.crm().getByRole('link', { name: 'Open in the CRM' })).toHaveAttribute('href', 'https://crm.example.org/customers/7001');
    await expectNoAxeViolations(page);

    // The CRM hangs: the card is drawn at once, then the CRM's part says it did not answer.
    await crm.mode({ delay_ms: 20_000 });
    await ring(page.request, token, AGENT.ext, CRM_SLOW);
    await expect(desk.phone()).toHaveText(CRM_SLOW);
    await expect(page.getByTestId('unknown-number')).toBeVisible();
    await expect(page.getByTestId('card').getByText('Asking the CRM…')).toBeVisible();
    await expect(desk.crm().getByTestId('crm-failed')).toHaveText(/CRM did not answer/);
    await crm.mode({});
  });
});
