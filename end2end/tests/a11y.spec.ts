import { test, expect, type Browser, type Page } from '@playwright/test';
import { ADMIN_PASSWORD } from '../playwright.config';
import { expectNoAxeViolations } from './pages/axe';
import { LoginPage, hydrated, signIn } from './pages/login';
import { AdminPage } from './pages/admin';
import { Shell } from './pages/shell';
import { CalloutsPage, ContactsPage } from './pages/callouts';
import { PeoplePage, PersonPage, FixedTurnsPage, TimetablePage, personFields, setUpTeam as setUpSmallTeam } from './pages/rota';

// Every page of the app, with real data on it, scanned with axe-core for WCAG 2 A/AA
// violations; also the states that add markup: a form's errors, the seat picker, a stop
// confirmation, a secret shown once. What this file adds is removed again at the end, so the
// other specs (which run after it on the same database) see the data they expect.

const ADMIN = { username: 'admin', password: ADMIN_PASSWORD };
const AGENT = { username: 'a11y-agent', name: 'Alba Agent', password: 'alba-password-123' };
const PERSON = 'a11y-ana';
const CALLOUT = 'A11y scan callout';
const CALLER_PREFIX = '+385';
// Numbers whose calls end at once (5 busy, 7 failed) or are answered (0–4), so the callout's
// charts have something to draw within seconds; one row is refused, to show the error table.
const CSV = [
  'phone,name,tags,city',
  '612999100,Aina Ferrer,a11y;north,Girona',
  '612999105,Biel Roca,a11y,Vic',
  '612999107,Carla Pons,a11y;south,Reus',
  '612999112,Dani Serra,a11y,Olot',
  '12,Too Short,a11y,Lleida',
].join('\n');

const signInAs = (page: Page, who: { username: string; password: string }, next: string) =>
  signIn(page, who.username, who.password, next);

/** Opens a signed-in page and waits until it is hydrated, live, and shows `ready`. */
async function visit(page: Page, path: string, ready: string) {
  await page.goto(path);
  await hydrated(page);
  await new Shell(page).expectLive();
  await expect(page.getByTestId(ready).first()).toBeVisible();
}

/** The same small team as the timetable spec (2 lines, ten people), plus one person with a
 *  group, a desk and availability entries. */
let linesBefore: number | undefined;

async function setUpTeam(page: Page) {
  const lines = await setUpSmallTeam(page);
  linesBefore ??= lines;
  const person = (handle: string, full_name: string, extra: object = {}) =>
    page.request.post('/api/rota/person/save', {
      data: { id: null, account: null, fields: personFields(handle, full_name, extra) },
    });
  const saved = await person(PERSON, 'Ana Accessible', {
    extension: '201', email: 'ana@example.org', desk: 'billing', groups: ['a11y'], ideal_load: 2,
  });
  expect(saved.status()).toBe(200);
  const id = (await (await page.request.post('/api/rota/person', { data: { handle: PERSON } })).json()).person.id;
  // Wednesday: cannot (every turn); Thursday: rather not.
  for (const [weekday, mandatory, reason] of [[2, true, 'weekly team training'], [3, false, 'school run on Thursdays']] as const) {
    const r = await page.request.post('/api/rota/availability/add', {
      data: { person_id: id, entry: { kind: 'weekly', weekday, date_from: null, date_to: null, turns: null, mandatory, reason } },
    });
    expect(r.status()).toBe(200);
  }
}

/** This year's 6 January, as the server counts years (the calendar page shows that year). */
async function holidayDay(page: Page) {
  const year = (await (await page.request.post('/api/rota/holidays', { data: { year: null } })).json()).year;
  return `${year}-01-06`;
}

test.describe.serial('accessibility (axe-core, WCAG 2 A/AA)', () => {
  test.afterAll(async ({ browser }) => {
    await cleanUp(browser);
  });

  test('the sign-in page, and its error', async ({ page }) => {
    const login = new LoginPage(page);
    await login.open();
    await expectNoAxeViolations(page, 'sign-in page');
    await login.signIn('admin', 'not-the-password');
    await login.expectError('Wrong user name or password.');
    await expectNoAxeViolations(page, 'sign-in page with an error');
  });

  test('home and admin (with a new token shown once)', async ({ page }) => {
    await signInAs(page, ADMIN, '/');
    await hydrated(page);
    await new Shell(page).expectLive();
    await expect(page.locator('main h1').first()).toBeVisible();
    await expectNoAxeViolations(page, 'home');

    const admin = new AdminPage(page);
    await admin.open();
    await new Shell(page).expectLive();
    if ((await admin.userRow(AGENT.username).count()) === 0) {
      await admin.createUser(AGENT.username, AGENT.name, 'agent', AGENT.password);
      await admin.open(); // the new user's password box goes away
      await new Shell(page).expectLive();
    }
    await expect(page.getByTestId('users')).toBeVisible();
    await admin.createToken('a11y-scan', 'callouts');
    await expect(page.getByTestId('tokens')).toContainText('a11y-scan');
    await expectNoAxeViolations(page, 'admin, a token just created');
  });

  test('rota: week, people, person, group, holidays, fixed turns, settings, import', async ({ page }) => {
    test.slow();
    await signInAs(page, ADMIN, '/rota/people');
    await setUpTeam(page);
    const day = await holidayDay(page);
    expect((await page.request.post('/api/rota/holidays/save', { data: { holiday: { day, name: 'Epiphany', kind: 'holiday' } } })).status()).toBe(200);

    await visit(page, '/rota', 'week-busy');
    await expect(page.getByTestId('week-busy')).toContainText(PERSON);
    const week = await expectNoAxeViolations(page, 'rota week');
    // The names link to people inside running text: told apart by more than colour (axe
    // cannot judge colour alone here and leaves the rule "incomplete" unless they are styled).
    const linkRule = (r: { id: string }) => r.id === 'link-in-text-block';
    expect(week.incomplete.filter(linkRule)).toEqual([]);
    expect(week.passes.filter(linkRule)).toHaveLength(1);

    const people = new PeoplePage(page);
    await people.open();
    await expect(people.row(PERSON)).toBeVisible();
    await expectNoAxeViolations(page, 'people');
    // The add form, with an error from the form's own check.
    await page.getByRole('button', { name: 'Add person' }).click();
    const form = page.getByTestId('person-form');
    await form.getByLabel('Handle').fill('a11y-bad');
    await form.getByLabel('Full name').fill('Bad Load');
    await form.getByLabel('Ideal load').fill('lots');
    await form.getByRole('button', { name: 'Add person' }).click();
    await expect(page.getByRole('alert')).toContainText('not a whole number');
    await expectNoAxeViolations(page, 'people, the add form with an error');

    const person = new PersonPage(page);
    await person.open(PERSON);
    await new Shell(page).expectLive();
    await expect(page.getByTestId('entries').first()).toContainText('weekly team training');
    await expect(person.cell(2, 0)).toHaveText('busy');
    await person.cell(0, 0).click(); // a selected cell
    await page.getByTestId('calendar-card').getByRole('button', { name: /New calendar link/ }).click();
    await expect(page.getByTestId('calendar-link')).toBeVisible();
    await expect(page.getByTestId('calendar-tokens')).toBeVisible();
    await expectNoAxeViolations(page, 'person');

    await visit(page, '/rota/groups/a11y', 'group-members');
    await expect(page.getByTestId('group-members')).toContainText(PERSON);
    await expectNoAxeViolations(page, 'group');

    await visit(page, '/rota/holidays', 'year-calendar');
    await expect(page.getByTestId('holidays')).toContainText('Epiphany');
    await expect(page.locator(`[data-testid="year-calendar"] [data-date="${day}"]`)).toHaveClass(/holiday/);
    await expectNoAxeViolations(page, 'holidays calendar');

    const fixed = new FixedTurnsPage(page);
    await fixed.open();
    await expect(fixed.seat(0, 0, 0)).toBeVisible();
    await expectNoAxeViolations(page, 'fixed turns');

    await visit(page, '/rota/settings', 'settings-form');
    await expectNoAxeViolations(page, 'rota settings');

    await page.goto('/rota/import');
    await hydrated(page);
    await new Shell(page).expectLive();
    await expect(page.getByRole('heading', { name: 'Import from Tomàtic' })).toBeVisible();
    await expectNoAxeViolations(page, 'rota import');
  });

  test('timetable: a generated week, then the seat picker open', async ({ page }) => {
    test.slow();
    await signInAs(page, ADMIN, '/rota/timetable');
    const tt = new TimetablePage(page);
    await tt.open();
    await new Shell(page).expectLive();
    await tt.generate('5');
    await expect(tt.progress()).toHaveAttribute('data-status', 'done', { timeout: 40_000 });
    await expect(tt.status()).toHaveText('draft');
    await expect(page.locator('button.chip:not(.empty)').first()).toBeVisible();
    await expectNoAxeViolations(page, 'timetable');

    const day = (await tt.firstDay())!;
    await tt.seat(day, 0, 0).click();
    await expect(tt.picker().locator('ul.candidates li').first()).toBeVisible();
    await expectNoAxeViolations(page, 'timetable, seat picker open');
  });

  test('callouts: contacts with an import, caller ids, a running callout, the list, the API docs', async ({ page }) => {
    test.setTimeout(120_000);
    await signInAs(page, ADMIN, '/callouts/contacts');
    const contacts = new ContactsPage(page);
    await contacts.open();
    await new Shell(page).expectLive();
    await contacts.importCsv('a11y.csv', CSV);
    await expect(contacts.summary()).toContainText('4 created');
    await expect(contacts.importErrors()).toBeVisible();
    await expect(page.getByTestId('contacts')).toContainText('Aina Ferrer');
    await expectNoAxeViolations(page, 'contacts, after an import');
    // A refused contact: the form's error.
    await contacts.addContact('12', 'Too Short');
    await expect(page.getByRole('alert').first()).toBeVisible();
    await expectNoAxeViolations(page, 'contacts, the form with an error');

    await visit(page, '/callouts/caller-ids', 'caller-id-form');
    const rule = page.getByTestId('caller-id-form');
    await rule.getByLabel('Prefix').fill(CALLER_PREFIX);
    await rule.getByLabel('Caller id').fill('+38512345678');
    await rule.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByTestId('caller-ids')).toContainText(CALLER_PREFIX);
    await expectNoAxeViolations(page, 'caller ids');

    const callouts = new CalloutsPage(page);
    await callouts.open();
    await new Shell(page).expectLive();
    await callouts.create(CALLOUT, 'Checks the pages with axe-core');
    await callouts.setCallerId('+34930000000');
    await callouts.populateByTags('a11y');
    await expect(callouts.number('participations')).toHaveText('4');
    await callouts.event('start');
    await expect(callouts.status()).toHaveText('running');
    // Calls are placed and some end (busy, failed): both charts and the attempts bars show.
    await expect(page.getByTestId('calls-chart')).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId('answer-rate-chart')).toBeVisible({ timeout: 30_000 });
    await callouts.event('pause');
    await expect(callouts.status()).toHaveText('paused');
    await expectNoAxeViolations(page, 'callout page, settings open');
    // One participation's calls unfolded; then the stop confirmation (left unanswered: the
    // page is left next, and the callout stays paused).
    await page.getByTestId('participations').getByRole('button', { name: '+34612999105' }).click();
    await expect(page.getByTestId('participation-calls')).toContainText('Call 1');
    await expectNoAxeViolations(page, "callout page, a participation's calls open");
    await page.locator('button[data-event="stop"]').click();
    await expect(page.getByTestId('confirm-stop')).toBeVisible();
    await expectNoAxeViolations(page, 'callout page, stop confirmation open');

    await callouts.open();
    await new Shell(page).expectLive();
    await expect(callouts.row(CALLOUT)).toContainText('paused');
    await expectNoAxeViolations(page, 'callouts list');

    await visit(page, '/callouts/api', 'api-docs');
    await expect(page.getByTestId('api-docs')).toContainText('/api/v1/callouts/{id}/events');
    await page.locator('details.op > summary').first().click();
    await expect(page.locator('details.op[open]').first()).toBeVisible();
    await expectNoAxeViolations(page, 'REST API reference');
  });

  test('an agent: the pages they see, a page they may not open, a page that does not exist', async ({ page }) => {
    await signInAs(page, AGENT, '/callouts');
    await hydrated(page);
    await new Shell(page).expectLive();
    await expect(new CalloutsPage(page).row(CALLOUT)).toBeVisible();
    await expectNoAxeViolations(page, 'callouts list (agent)');

    const response = await page.goto('/admin');
    expect(response?.status()).toBe(403);
    await hydrated(page);
    await expect(page.getByTestId('forbidden')).toBeVisible();
    await expectNoAxeViolations(page, '403 page');

    const missing = await page.goto('/no-such-page');
    expect(missing?.status()).toBe(404);
    await hydrated(page);
    await expect(page.getByRole('heading', { name: '404 · Not found' })).toBeVisible();
    await expectNoAxeViolations(page, '404 page');
  });

  test('desk: the live desk before any call (the cards are scanned in desk.spec.ts)', async ({ page }) => {
    await signInAs(page, AGENT, '/desk');
    await hydrated(page);
    await new Shell(page).expectLive();
    await expect(page.getByTestId('no-call')).toBeVisible();
    await expectNoAxeViolations(page, 'desk, no call yet');
  });

  test('desk: my day, the team call log, the categories and the search (as an admin)', async ({ page }) => {
    await signInAs(page, ADMIN, '/desk/day');
    await visit(page, '/desk/day', 'to-annotate');
    await expectNoAxeViolations(page, 'my calls today (none)');
    await visit(page, '/desk/log', 'log-count');
    await expectNoAxeViolations(page, 'team call log');
    await visit(page, '/desk/categories', 'categories');
    await expectNoAxeViolations(page, 'call categories');
    await visit(page, '/desk', 'search');
    await page.getByTestId('search-query').fill('zz');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect(page.getByTestId('search').getByRole('alert')).toBeVisible();
    await expectNoAxeViolations(page, 'desk search, a refused query');
  });
});

/** Removes what this file added that other specs count or see: the callout, its contacts,
 *  the caller-id rule, the holiday; the extra person leaves the rota; the team's line count
 *  is put back. */
async function cleanUp(browser: Browser) {
  const context = await browser.newContext();
  const api = context.request;
  const login = await api.post('/api/login', { form: { username: ADMIN.username, password: ADMIN.password } });
  expect(login.ok()).toBeTruthy();
  const callouts = await (await api.get('/api/v1/callouts?per_page=100')).json();
  for (const c of callouts.items ?? []) {
    if (c.name !== CALLOUT) continue;
    if (c.status === 'running') await api.post(`/api/v1/callouts/${c.id}/events`, { data: { event: 'pause' } });
    expect((await api.delete(`/api/v1/callouts/${c.id}`)).ok()).toBeTruthy();
  }
  const listed = await (await api.get('/api/v1/contacts?tag=a11y&per_page=100')).json();
  for (const c of listed.items ?? []) expect((await api.delete(`/api/v1/contacts/${c.id}`)).ok()).toBeTruthy();
  await api.delete(`/api/v1/caller_ids/${encodeURIComponent(CALLER_PREFIX)}`);
  const year = (await (await api.post('/api/rota/holidays', { data: { year: null } })).json()).year;
  await api.post('/api/rota/holidays/delete', { data: { day: `${year}-01-06` } });
  const detail = await api.post('/api/rota/person', { data: { handle: PERSON } });
  if (detail.ok()) {
    const p = (await detail.json()).person;
    await api.post('/api/rota/person/save', { data: { id: p.id, account: null, fields: { ...p.fields, active: false } } });
  }
  if (linesBefore !== undefined) {
    const s = (await (await api.post('/api/rota/context', { data: {} })).json()).settings;
    expect((await api.post('/api/rota/settings', { data: { settings: { ...s, lines: linesBefore } } })).status()).toBe(200);
  }
  await context.close();
}
