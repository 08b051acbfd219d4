import { test, expect, type Page } from '@playwright/test';
import { ADMIN_PASSWORD } from '../playwright.config';
import { hydrated, signIn } from './pages/login';
import { TimetablePage, setUpTeam } from './pages/rota';

// The shared widgets: the loading/error wrapper, a page's live topic following its route, the
// timetable's seat picker, the callout chart's palette. Everything through an admin session
// (the REST API accepts the browser's session too).

const signInAdmin = (page: Page, next: string) => signIn(page, 'admin', ADMIN_PASSWORD, next);

/** Collects the browser console's warnings and errors (hydration mismatches show there). */
function consoleProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  return problems;
}


async function createCallout(page: Page, data: Record<string, unknown>): Promise<number> {
  const r = await page.request.post('/api/v1/callouts', { data });
  expect(r.status(), await r.text()).toBe(201);
  return (await r.json()).id;
}

test.describe.serial('widgets', () => {
  test('a resource that fails shows its error as an alert', async ({ page }) => {
    await signInAdmin(page, '/callouts');
    await page.goto('/callouts/987654321');
    await hydrated(page);
    // The callout and its participations both fail: each says so where its data would be.
    const alert = page.getByRole('alert').first();
    await expect(alert).toBeVisible();
    await expect(alert).toContainText(/not found/i);
    await expect(page.getByText('Loading…')).toHaveCount(0);
  });

  test('the callout page listens to the callout of its route', async ({ page }) => {
    await signInAdmin(page, '/callouts');
    const problems = consoleProblems(page);
    const a = await createCallout(page, { name: 'Widgets A' });
    const b = await createCallout(page, { name: 'Widgets B' });
    await page.goto(`/callouts/${a}`);
    await hydrated(page);
    await expect(page.getByTestId('callout-name')).toHaveText('Widgets A');
    await expect(page.getByTestId('live-state')).toHaveText('live');

    // Client-side navigation to B (the router takes any link click): the page is not reloaded.
    await page.evaluate((href) => {
      (window as any).__sbSamePage = true;
      const link = document.createElement('a');
      link.href = href;
      link.textContent = 'to B';
      document.body.appendChild(link);
      link.click();
    }, `/callouts/${b}`);
    await page.waitForURL(`**/callouts/${b}`);
    await expect(page.getByTestId('callout-name')).toHaveText('Widgets B');

    // B changes elsewhere: the page shows it without a reload.
    const r = await page.request.patch(`/api/v1/callouts/${b}`, { data: { name: 'Widgets B renamed' } });
    expect(r.status(), await r.text()).toBe(200);
    await expect(page.getByTestId('callout-name')).toHaveText('Widgets B renamed');
    expect(await page.evaluate(() => (window as any).__sbSamePage)).toBe(true);
    expect(problems.filter((p) => /hydrat/i.test(p))).toEqual([]);
  });

  test('the seat picker opens in sight beside its seat and gives the focus back on Escape', async ({ page }) => {
    await page.setViewportSize({ width: 1280, height: 900 });
    await signInAdmin(page, '/rota/timetable');
    const problems = consoleProblems(page);
    await setUpTeam(page);
    const tt = new TimetablePage(page);
    await tt.open();
    if ((await tt.status().textContent())?.trim() === 'not planned') {
      await tt.generate('10');
      await expect(tt.progress()).toHaveAttribute('data-status', /done|stopped/, { timeout: 40_000 });
    }
    // The last seat of the grid: the bottom row, the last day.
    const seat = page.locator('button.chip').last();
    await seat.scrollIntoViewIfNeeded();
    await seat.click();
    await expect(tt.picker()).toBeVisible();
    await expect(tt.picker()).toBeInViewport({ ratio: 1 });
    await expect(seat).toBeInViewport();
    await expect(tt.picker().locator('ul.candidates li').first()).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(tt.picker()).toHaveCount(0);
    await expect(seat).toBeFocused();

    // The Close button does the same.
    await seat.click();
    await expect(tt.picker()).toBeInViewport({ ratio: 1 });
    await tt.picker().getByRole('button', { name: 'Close' }).click();
    await expect(tt.picker()).toHaveCount(0);
    await expect(seat).toBeFocused();
    expect(problems.filter((p) => /hydrat/i.test(p))).toEqual([]);
  });

  test('the callout chart draws errored and failed calls in different colours', async ({ page }) => {
    // The calls end at telsim within seconds, but the whole suite shares one server and two
    // cores: give the live chart room to catch up (waits on what is drawn, never a sleep).
    test.setTimeout(90_000);
    await signInAdmin(page, '/callouts');
    // telsim: a number ending in 7 fails after a second, one ending in 9 is refused (errored).
    for (const [phone, name] of [['+34612000197', 'Widgets Failed'], ['+34612000199', 'Widgets Errored']]) {
      const r = await page.request.post('/api/v1/contacts', { data: { phone, name, tags: ['widgets-chart'] } });
      expect([200, 201, 409]).toContain(r.status());
    }
    const id = await createCallout(page, { name: 'Widgets chart', caller_id: '+34930000000', max_attempts: 1 });
    const pop = await page.request.post(`/api/v1/callouts/${id}/populate`, { data: { filter: { tags: ['widgets-chart'] } } });
    expect(pop.status(), await pop.text()).toBe(200);
    const start = await page.request.post(`/api/v1/callouts/${id}/events`, { data: { event: 'start' } });
    expect(start.status(), await start.text()).toBe(200);

    await page.goto(`/callouts/${id}`);
    await hydrated(page);
    const legend = page.locator('.legend');
    const failed = legend.locator('.key[data-status="failed"] i');
    const errored = legend.locator('.key[data-status="errored"] i');
    await expect(failed).toBeVisible({ timeout: 60_000 });
    await expect(errored).toBeVisible({ timeout: 60_000 });
    const colour = (l: typeof failed) => l.evaluate((el) => getComputedStyle(el).backgroundColor);
    const [f, e] = [await colour(failed), await colour(errored)];
    expect(f).not.toBe(e);
    expect(f).not.toBe('rgba(0, 0, 0, 0)');
    expect(e).not.toBe('rgba(0, 0, 0, 0)');
    // The bars use the same classes as the legend.
    const bar = page.locator('[data-testid="calls-chart"] rect.oc-errored').first();
    expect(await bar.evaluate((el) => getComputedStyle(el).fill)).toBe(e);
  });
});
