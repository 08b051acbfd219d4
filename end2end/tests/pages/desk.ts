import { expect, type APIRequestContext, type Page } from '@playwright/test';
import { hydrated } from './login';
import { Shell } from './shell';
import { CRMSIM_TOKEN, CRMSIM_URL } from '../../playwright.config';

/** The CRM simulator's control side (the records it knows, how it answers). */
export class Crmsim {
  constructor(readonly request: APIRequestContext) {}

  private async send(method: 'put' | 'post', path: string, data: object) {
    const res = await this.request[method](`${CRMSIM_URL}${path}`, {
      headers: { Authorization: `Bearer ${CRMSIM_TOKEN}` },
      data,
    });
    expect(res.status(), `${path}: ${await res.text()}`).toBe(200);
  }

  records(contacts: object[]) {
    return this.send('put', '/control/records', { contacts });
  }

  mode(mode: { delay_ms?: number; fail_status?: number; garbage?: boolean }) {
    return this.send('post', '/control/mode', mode);
  }
}

/** Posts a ringing call as the PBX does (a form with a pbx token); returns the call's id. */
export async function ring(request: APIRequestContext, token: string, ext: string, phone: string, callid?: string) {
  const form: Record<string, string> = { ext, phone };
  if (callid) form.callid = callid;
  const res = await request.post('/api/pbx/ringing', { form, headers: { Authorization: `Bearer ${token}` } });
  expect(res.status()).toBe(200);
  const body = await res.json();
  return body as { result: string; call: number };
}

/** The desk: the live card of the call ringing my extension. */
export class DeskPage {
  constructor(private readonly page: Page) {}

  async open() {
    await this.page.goto('/desk');
    await hydrated(this.page);
    await new Shell(this.page).expectLive();
  }

  card() {
    return this.page.getByTestId('card');
  }

  phone() {
    return this.page.getByTestId('card-phone');
  }

  noCall() {
    return this.page.getByTestId('no-call');
  }

  alerts() {
    return this.page.getByTestId('alerts');
  }

  contracts() {
    return this.page.getByTestId('contracts');
  }

  earlier() {
    return this.page.getByTestId('earlier');
  }

  /** The outside CRM's part of the card. */
  crm() {
    return this.page.getByTestId('card').getByTestId('crm');
  }

  async lock() {
    await this.page.getByLabel('Lock this card (the next call waits)').check();
  }

  async showWaiting() {
    await this.page.getByTestId('show-waiting').click();
  }

  /** The unknown-number form: a new contact with the call's number. */
  async newContact(name: string) {
    const form = this.page.getByRole('form', { name: 'New contact' });
    await form.getByLabel('Name').fill(name);
    await form.getByRole('button', { name: 'New contact' }).click();
  }
}

/** The search box on the desk (and on an unknown number's card). */
export class DeskSearch {
  constructor(private readonly page: Page) {}

  box() {
    return this.page.getByTestId('search').first();
  }

  async search(query: string) {
    await this.box().getByTestId('search-query').fill(query);
    await this.box().getByRole('button', { name: 'Search' }).click();
  }

  async searchBy(field: string) {
    await this.box().getByTestId('search-field').selectOption(field);
  }

  guess() {
    return this.box().getByTestId('search-guess');
  }

  results() {
    return this.box().getByTestId('search-results');
  }
}

/** The annotation panel of the card shown. */
export class AnnotationPanel {
  constructor(private readonly page: Page) {}

  panel() {
    return this.page.getByTestId('annotation');
  }

  status() {
    return this.panel().getByTestId('annotation-status');
  }

  /** Types in the filter box and ticks the category with this name. */
  async choose(filter: string, name: string) {
    await this.panel().getByTestId('category-filter').fill(filter);
    await this.panel().getByTestId('category-options').getByLabel(name).check();
  }

  async comment(text: string) {
    await this.panel().getByLabel('Comment').fill(text);
  }

  async save() {
    await this.panel().getByRole('button', { name: /Save (annotation|changes)/ }).click();
  }

  error() {
    return this.panel().getByRole('alert');
  }
}

/** /desk/day and /desk/log: rows of the call log. */
export class CallLog {
  constructor(private readonly page: Page) {}

  async openDay() {
    await this.page.goto('/desk/day');
    await hydrated(this.page);
    await new Shell(this.page).expectLive();
  }

  async openTeam() {
    await this.page.goto('/desk/log');
    await hydrated(this.page);
    await new Shell(this.page).expectLive();
    await expect(this.page.getByTestId('log-count')).toBeVisible();
  }

  row(call: number) {
    return this.page.locator(`[data-testid="log-row"][data-call="${call}"]`);
  }

  rows() {
    return this.page.getByTestId('log-row');
  }

  async filterAgent(name: string) {
    await this.page.getByTestId('log-agent').selectOption({ label: name });
  }

  async filterAnnotated(value: 'yes' | 'no' | '') {
    await this.page.getByTestId('log-annotated').selectOption(value);
  }

  /** Clicks "Export CSV" and returns the downloaded file's text. */
  async exportCsv() {
    const [download] = await Promise.all([
      this.page.waitForEvent('download'),
      this.page.getByTestId('log-export').click(),
    ]);
    const path = await download.path();
    const fs = await import('node:fs/promises');
    return { name: download.suggestedFilename(), text: await fs.readFile(path!, 'utf8') };
  }
}

/** /desk/categories (admins): import a CSV list. */
export async function importCategories(page: Page, csv: string) {
  await page.goto('/desk/categories');
  await hydrated(page);
  await page.getByTestId('categories-csv').fill(csv);
  await page.getByRole('button', { name: 'Import' }).click();
  await expect(page.getByTestId('import-done')).toBeVisible();
}
