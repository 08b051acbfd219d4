import { test, expect, type Page } from '@playwright/test';
import { ADMIN_PASSWORD } from '../playwright.config';
import { LoginPage } from './pages/login';
import { AdminPage } from './pages/admin';
import { CalloutsPage, ContactsPage } from './pages/callouts';

const MANAGER = { username: 'e2e-manager', name: 'Mia Manager', password: 'mia-password-123' };
const AGENT = { username: 'e2e-callout-agent', name: 'Abel Agent', password: 'abel-password-123' };

// Numbers end in 0–4 (telsim answers them after a few seconds) except one busy (5) line; two
// rows are refused (a number that is too short, an unknown time zone) and one repeats a number.
const CSV = [
  'phone,name,tags,tz,city',
  '612000100,Ana Puig,e2e;north,Europe/Madrid,Girona',
  '612000111,Pere Vila,e2e,,Vic',
  '612000122,Joan Mas,e2e,,Olot',
  '612000135,Marta Roig,e2e,,Reus',
  '12,Too Short,e2e,,',
  '612000144,Nil Soler,e2e,Mars/Olympus,Lleida',
  '612000100,Ana Puig Serra,e2e,,Girona',
].join('\n');

async function signIn(page: Page, who: { username: string; password: string }, next: string) {
  const login = new LoginPage(page);
  await login.open(next);
  await login.signIn(who.username, who.password);
  await page.waitForURL(`**${next}`);
}

test.describe.serial('callouts', () => {
  test('an admin creates a manager and an agent', async ({ page }) => {
    await signIn(page, { username: 'admin', password: ADMIN_PASSWORD }, '/admin');
    const admin = new AdminPage(page);
    await admin.open();
    await admin.createUser(MANAGER.username, MANAGER.name, 'manager', MANAGER.password);
    await admin.createUser(AGENT.username, AGENT.name, 'agent', AGENT.password);
  });

  test('a manager imports contacts from CSV: bad rows reported, good rows kept, repeats merged', async ({ page }) => {
    await signIn(page, MANAGER, '/callouts/contacts');
    const contacts = new ContactsPage(page);
    await contacts.open();
    await contacts.importCsv('contacts.csv', CSV);
    await expect(contacts.summary()).toContainText('7 of 7 rows sent');
    await expect(contacts.summary()).toContainText('4 created');
    await expect(contacts.summary()).toContainText('1 merged');
    await expect(contacts.summary()).toContainText('2 refused');
    await expect(contacts.importErrors()).toContainText('6');
    await expect(contacts.importErrors()).toContainText('phone');
    await expect(contacts.importErrors()).toContainText('Mars/Olympus');
    // The list refreshes by itself: four contacts, the repeated one under its later name.
    await expect(contacts.total()).toContainText('4 contacts');
    await expect(page.getByTestId('contacts')).toContainText('Ana Puig Serra');
    await expect(page.getByTestId('contacts')).toContainText('+34612000100');

    // One by one: add a contact, then rename it from the list.
    await contacts.addContact('612 000 155', 'Quim Sala');
    await expect(contacts.total()).toContainText('5 contacts');
    await contacts.rename('Quim Sala', 'Quim Sala Puig');
    await expect(page.getByTestId('contacts')).toContainText('Quim Sala Puig');
  });

  test('a manager creates a callout, populates it, starts it, watches the numbers and pauses it', async ({ page }) => {
    await signIn(page, MANAGER, '/callouts');
    const callouts = new CalloutsPage(page);
    await callouts.open();
    await callouts.create('Flu vaccine reminder', 'Remind people of their appointment');
    await expect(callouts.status()).toHaveText('initialized');
    await expect(page.getByTestId('no-caller-id')).toBeVisible();
    await callouts.setCallerId('+34930000000');
    await expect(page.getByTestId('no-caller-id')).toHaveCount(0);

    await callouts.populateByTags('e2e');
    await expect(callouts.number('participations')).toHaveText('4');
    await expect(callouts.number('remaining')).toHaveText('4');
    await expect(callouts.number('calls')).toHaveText('0');

    await callouts.event('start');
    await expect(callouts.status()).toHaveText('running');
    // Live: the dialer places the calls and telsim answers; the page updates without a reload.
    await expect(callouts.number('calls')).not.toHaveText('0', { timeout: 20_000 });
    await expect(page.getByTestId('calls-by-status')).not.toBeEmpty();
    await expect(page.getByTestId('calls-chart')).toBeVisible();

    await callouts.event('pause');
    await expect(callouts.status()).toHaveText('paused');
    await expect(page.locator('button[data-event="resume"]')).toBeVisible();

    // What a person is in the middle of survives the live redraws: with the stop confirmation
    // open and a new name typed in the settings, the callout is resumed and paused elsewhere
    // (the page redraws its numbers twice), and both are still there.
    const id = Number(new URL(page.url()).pathname.split('/').pop());
    await page.locator('button[data-event="stop"]').click();
    const settings = await callouts.settings();
    await settings.getByLabel('Name', { exact: true }).fill('Typed while it runs');
    for (const event of ['resume', 'pause']) {
      const r = await page.request.post('/api/callouts/event', { data: { id, event } });
      expect(r.status()).toBe(200);
      await expect(callouts.status()).toHaveText(event === 'resume' ? 'running' : 'paused');
    }
    await expect(page.getByRole('alertdialog', { name: 'Confirm stop' })).toBeVisible();
    await expect(settings.getByLabel('Name', { exact: true })).toHaveValue('Typed while it runs');
    await page.getByRole('button', { name: 'Cancel' }).click();

    // Stop asks first; cancelling changes nothing.
    await page.locator('button[data-event="stop"]').click();
    await page.getByRole('button', { name: 'Cancel' }).click();
    await expect(callouts.status()).toHaveText('paused');

    // The participations table filters, and its export carries the filter.
    await page.getByTestId('participation-filters').getByLabel('Name or number').fill('Marta');
    await expect(page.getByTestId('participations').locator('tbody tr')).toHaveCount(1);
    await expect(page.getByTestId('export-participations')).toHaveAttribute('href', /search=Marta/);
    // Her number opens the calls made to her.
    await page.getByTestId('participations').getByRole('button', { name: '+34612000135' }).click();
    await expect(page.getByTestId('participation-calls')).toContainText('Call 1');

    await callouts.open();
    await expect(callouts.row('Flu vaccine reminder')).toContainText('paused');
  });

  test('an agent sees callouts but has no controls', async ({ page }) => {
    await signIn(page, AGENT, '/callouts');
    const callouts = new CalloutsPage(page);
    await callouts.open();
    await expect(callouts.row('Flu vaccine reminder')).toBeVisible();
    await expect(page.getByTestId('new-callout')).toHaveCount(0);
    await callouts.row('Flu vaccine reminder').getByRole('link').click();
    await expect(callouts.status()).toHaveText('paused');
    await expect(page.locator('button[data-event]')).toHaveCount(0);
    await expect(page.getByTestId('populate')).toHaveCount(0);
  });

  test('the REST API reference renders the OpenAPI document', async ({ page }) => {
    await signIn(page, MANAGER, '/callouts/api');
    await expect(page.getByTestId('api-docs')).toContainText('/api/v1/callouts/{id}/events');
  });
});
