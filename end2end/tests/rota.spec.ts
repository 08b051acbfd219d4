import { test, expect, type Page } from '@playwright/test';
import { ADMIN_PASSWORD } from '../playwright.config';
import { LoginPage } from './pages/login';
import { AdminPage } from './pages/admin';
import { PeoplePage, PersonPage, FixedTurnsPage } from './pages/rota';

const COORD = { username: 'e2e-coord', name: 'Cora Coordinator', password: 'coord-password-123' };
const AGENT = { username: 'e2e-rota-agent', name: 'Rosa Agent', password: 'rosa-password-123' };

async function signIn(page: Page, who: { username: string; password: string }, next: string) {
  const login = new LoginPage(page);
  await login.open(next);
  await login.signIn(who.username, who.password);
  await page.waitForURL(`**${next}`);
}

test.describe.serial('rota data', () => {
  test('an admin creates a coordinator and an agent', async ({ page }) => {
    await signIn(page, { username: 'admin', password: ADMIN_PASSWORD }, '/admin');
    const admin = new AdminPage(page);
    await admin.open();
    await admin.createUser(COORD.username, COORD.name, 'coordinator', COORD.password);
    await admin.createUser(AGENT.username, AGENT.name, 'agent', AGENT.password);
  });

  test('a coordinator adds people and a weekly unavailability', async ({ page }) => {
    await signIn(page, COORD, '/rota/people');
    const people = new PeoplePage(page);
    await people.open();
    await people.addPerson({ handle: 'anna', name: 'Anna Puig', load: '4' });
    await people.addPerson({ handle: 'rosa', name: 'Rosa Agent', load: '3', account: AGENT.username });
    await expect(people.row('rosa')).toContainText(AGENT.username);

    const anna = new PersonPage(page);
    await anna.open('anna');
    await anna.markWeeklyBusy([[0, 0], [0, 1]], 'team meeting');
    await expect(page.getByTestId('entries').first()).toContainText('team meeting');

    // The team's week shows her as busy on Monday's first turn, with the reason.
    await page.goto('/rota');
    const monday = page.getByTestId('week-busy').locator('td[data-turn="0"]').first();
    await expect(monday).toContainText('anna');
    await expect(monday).toContainText('team meeting');
  });

  test('an agent edits their own availability and is refused on someone else', async ({ page }) => {
    await signIn(page, AGENT, '/rota/people/rosa');
    const own = new PersonPage(page);
    await own.open('rosa');
    await own.markWeeklyBusy([[2, 3]], 'school run');

    const other = new PersonPage(page);
    await other.open('anna');
    await expect(other.weeklyForm()).toHaveCount(0);

    // The server refuses it too, whatever the page shows.
    const detail = await page.request.post('/api/rota/person', { data: { handle: 'anna' } });
    expect(detail.ok()).toBeTruthy();
    const annaId = (await detail.json()).person.id;
    const refused = await page.request.post('/api/rota/availability/add', {
      data: {
        person_id: annaId,
        entry: { kind: 'weekly', weekday: 1, date_from: null, date_to: null, turns: null, mandatory: true, reason: 'not mine' },
      },
    });
    expect(refused.status()).toBe(403);
    await other.open('anna');
    await expect(page.getByTestId('entries').first()).not.toContainText('not mine');
  });

  test('the fixed-turns editor saves a cell', async ({ page }) => {
    await signIn(page, COORD, '/rota/fixed');
    const fixed = new FixedTurnsPage(page);
    await fixed.open();
    const seat = fixed.seat(1, 2, 0);
    await seat.selectOption('p:anna');
    await expect(seat).toHaveValue('p:anna');
    // Saved on the server: still there after a reload.
    await expect
      .poll(async () => {
        await fixed.open();
        return fixed.seat(1, 2, 0).inputValue();
      })
      .toBe('p:anna');
    await fixed.seat(1, 2, 1).selectOption('nobody');
    await expect
      .poll(async () => {
        await fixed.open();
        return fixed.seat(1, 2, 1).inputValue();
      })
      .toBe('nobody');
  });
});
