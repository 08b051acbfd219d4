import { test, expect, type Page } from '@playwright/test';
import { ADMIN_PASSWORD, SOLVER_HOLD_SEED } from '../playwright.config';
import { signIn } from './pages/login';
import { TimetablePage, PersonPage, setUpTeam } from './pages/rota';

const signInAdmin = (page: Page, next: string) => signIn(page, 'admin', ADMIN_PASSWORD, next);

test.describe.serial('timetable', () => {
  test('a coordinator generates a week, watches progress, and can stop a run', async ({ page }) => {
    await signInAdmin(page, '/rota/timetable');
    await setUpTeam(page);
    const tt = new TimetablePage(page);
    await tt.open();
    await tt.generate('30');
    // The run's progress is shown live: queued, running, then done with its best cost.
    await expect(tt.progress()).toBeVisible();
    await expect(tt.progress()).toHaveAttribute('data-status', 'done', { timeout: 40_000 });
    await expect(tt.progress()).toContainText('best cost');
    await expect(tt.status()).toHaveText('draft');

    // A second run, stopped: its seed makes the server's solver hold until it is stopped (small
    // weeks are solved in well under a second, before any click could land). It ends stopped
    // and the week keeps a timetable.
    await tt.generate('30', SOLVER_HOLD_SEED);
    await expect(tt.progress()).toHaveAttribute('data-status', 'running', { timeout: 20_000 });
    await page.getByRole('button', { name: 'Stop' }).click();
    await expect(tt.progress()).toHaveAttribute('data-status', 'stopped', { timeout: 40_000 });
    await expect(tt.status()).toHaveText('draft');
    await expect(page.locator('button.chip:not(.empty)').first()).toBeVisible();
  });

  test('a seat is changed by hand, and a third empty seat in a turn is refused', async ({ page }) => {
    await signInAdmin(page, '/rota/timetable');
    const tt = new TimetablePage(page);
    await tt.open();
    const day = (await tt.firstDay())!;
    // Change a seat: pick someone free from the list.
    await tt.seat(day, 0, 0).click();
    await expect(tt.picker()).toBeVisible();
    const before = (await tt.seat(day, 0, 0).textContent())?.trim();
    const candidate = tt.picker().locator('li.free button:not([disabled])').first();
    const chosen = (await candidate.textContent())?.trim();
    expect(chosen).toBeTruthy();
    expect(chosen).not.toBe(before);
    await candidate.click();
    await expect(tt.seat(day, 0, 0)).toHaveText(chosen!);

    // Empty both seats of the turn (2 lines, at most 2 empty): then one more is refused.
    await tt.seat(day, 1, 0).click();
    await tt.picker().getByRole('button', { name: 'Empty this seat' }).click();
    await expect(tt.seat(day, 1, 0)).toHaveText('—');
    await tt.seat(day, 1, 1).click();
    await tt.picker().getByRole('button', { name: 'Empty this seat' }).click();
    await expect(tt.seat(day, 1, 1)).toHaveText('—');
    // The limit is 2 by default; lower it to 1 and try to empty a seat of another turn twice.
    await tt.seat(day, 2, 0).click();
    await tt.picker().getByRole('button', { name: 'Empty this seat' }).click();
    await expect(tt.seat(day, 2, 0)).toHaveText('—');
    const s = (await (await page.request.post('/api/rota/context', { data: {} })).json()).settings;
    expect((await page.request.post('/api/rota/settings', { data: { settings: { ...s, max_empty_seats: 1 } } })).status()).toBe(200);
    await tt.open();
    await tt.seat(day, 2, 1).click();
    await tt.picker().getByRole('button', { name: 'Empty this seat' }).click();
    await expect(page.getByRole('alert')).toContainText(/Too many empty seats in \w{3} \d\d:\d\d/);
    await expect(tt.seat(day, 2, 1)).not.toHaveText('—');
    await page.request.post('/api/rota/settings', { data: { settings: { ...s, max_empty_seats: 2 } } });
  });

  test('publishing a week puts its turns in the person\'s calendar feed', async ({ page }) => {
    await signInAdmin(page, '/rota/timetable');
    const tt = new TimetablePage(page);
    await tt.open();
    const published = page.waitForResponse((r) => r.url().endsWith('/api/rota/timetable/publish'));
    await page.getByRole('button', { name: 'Publish' }).click();
    expect((await published).status()).toBe(200);
    await expect(tt.status()).toHaveText('published');
    const day = (await tt.firstDay())!;
    const who = (await tt.seat(day, 0, 0).textContent())!.trim();

    const person = new PersonPage(page);
    await person.open(who);
    const card = page.getByTestId('calendar-card');
    await card.getByRole('button', { name: /New calendar link/ }).click();
    const url = (await page.getByTestId('calendar-link').locator('code').textContent())!.trim();
    expect(url).toContain(`/calendar/${who}.ics?token=`);
    const feed = await page.request.get(url);
    expect(feed.status()).toBe(200);
    const ics = await feed.text();
    expect(ics).toContain('BEGIN:VCALENDAR');
    expect(ics).toContain('TRIGGER:-PT15M');
    expect(ics).toContain(`DTSTART:${day.replaceAll('-', '')}T`);
    expect(ics.match(/BEGIN:VEVENT/g)?.length ?? 0).toBeGreaterThan(0);
  });
});
