import { expect, type Page } from '@playwright/test';
import { hydrated } from './login';

/** A person's fields as the rota's save call takes them: 4 turns a week by default. */
export function personFields(handle: string, full_name: string, extra: object = {}) {
  return {
    handle, full_name, extension: null, email: null, colour: '#3a7', desk: null, groups: [],
    ideal_load: 4, max_turns_per_day: null, active: true, user_id: null, ...extra,
  };
}

/** A small full team: 2 lines, ten people (tt0…tt9) with 4 turns each; returns the line count
 *  the team had before. */
export async function setUpTeam(page: Page): Promise<number> {
  const s = (await (await page.request.post('/api/rota/context', { data: {} })).json()).settings;
  const saved = await page.request.post('/api/rota/settings', { data: { settings: { ...s, lines: 2 } } });
  expect(saved.status()).toBe(200);
  for (let i = 0; i < 10; i++) {
    const r = await page.request.post('/api/rota/person/save', {
      data: { id: null, account: null, fields: personFields(`tt${i}`, `Timetable ${i}`) },
    });
    expect([200, 409]).toContain(r.status());
  }
  return s.lines;
}

/** The people table and its add form. */
export class PeoplePage {
  constructor(private readonly page: Page) {}

  async open() {
    await this.page.goto('/rota/people');
    await hydrated(this.page);
  }

  row(handle: string) {
    return this.page.locator(`tr[data-handle="${handle}"]`);
  }

  async addPerson(p: { handle: string; name: string; load?: string; account?: string }) {
    await this.page.getByRole('button', { name: 'Add person' }).click();
    const form = this.page.getByTestId('person-form');
    await form.getByLabel('Handle').fill(p.handle);
    await form.getByLabel('Full name').fill(p.name);
    if (p.load) await form.getByLabel('Ideal load').fill(p.load);
    if (p.account) await form.getByLabel('Account').fill(p.account);
    await form.getByRole('button', { name: 'Add person' }).click();
    await expect(this.row(p.handle)).toBeVisible();
  }
}

/** One person's page: details, weekly grid, dated entries. */
export class PersonPage {
  constructor(private readonly page: Page) {}

  async open(handle: string) {
    await this.page.goto(`/rota/people/${handle}`);
    await hydrated(this.page);
    await expect(this.page.getByTestId('person')).toBeVisible();
  }

  cell(day: number, turn: number) {
    return this.page.getByTestId('weekly-grid').locator(`td[data-day="${day}"][data-turn="${turn}"]`);
  }

  weeklyForm() {
    return this.page.getByTestId('weekly-form');
  }

  /** Selects the cells (weekday, turn) and records them as busy every week. */
  async markWeeklyBusy(cells: [number, number][], reason: string) {
    for (const [d, t] of cells) await this.cell(d, t).click();
    await this.weeklyForm().getByLabel('Reason').fill(reason);
    await this.weeklyForm().getByRole('button', { name: 'Mark busy every week' }).click();
    for (const [d, t] of cells) await expect(this.cell(d, t)).toHaveText('busy');
  }
}

/** The fixed-turns editor. */
export class FixedTurnsPage {
  constructor(private readonly page: Page) {}

  async open() {
    await this.page.goto('/rota/fixed');
    await hydrated(this.page);
    await expect(this.page.getByTestId('fixed-grid')).toBeVisible();
  }

  seat(day: number, turn: number, line: number) {
    return this.page.locator(`select[data-day="${day}"][data-turn="${turn}"][data-line="${line}"]`);
  }
}

/** The weekly timetable editor. */
export class TimetablePage {
  constructor(private readonly page: Page) {}

  async open() {
    await this.page.goto('/rota/timetable');
    await hydrated(this.page);
    await expect(this.page.getByTestId('timetable')).toBeVisible();
  }

  status() {
    return this.page.getByTestId('week-status');
  }

  progress() {
    return this.page.getByTestId('solver-progress');
  }

  seat(day: string, turn: number, line: number) {
    return this.page.locator(`button.chip[data-day="${day}"][data-turn="${turn}"][data-line="${line}"]`);
  }

  firstDay() {
    return this.page.locator('button.chip').first().getAttribute('data-day');
  }

  async generate(timeLimit: string, seed = '') {
    await this.page.getByLabel('Time limit (s)').fill(timeLimit);
    await this.page.getByLabel('Seed').fill(seed);
    await this.page.getByRole('button', { name: 'Generate' }).click();
  }

  picker() {
    return this.page.getByTestId('seat-picker');
  }
}
