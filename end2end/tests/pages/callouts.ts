import { expect, type Locator, type Page } from '@playwright/test';

/** The contact directory and its CSV import. */
export class ContactsPage {
  constructor(private readonly page: Page) {}

  async open() {
    await this.page.goto('/callouts/contacts');
    await this.page.waitForFunction(() => (window as any).__sbHydrated === true);
  }

  /** Chooses a CSV file (given as text), checks the guessed mapping, and imports it. */
  async importCsv(name: string, text: string) {
    await this.page.getByTestId('import-file').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(text) });
    await expect(this.page.getByTestId('mapping')).toBeVisible();
    await this.page.getByTestId('import-start').click();
    await expect(this.page.getByTestId('import-summary')).toContainText('done');
  }

  /** Adds a contact through the form. */
  async addContact(phone: string, name: string) {
    const form = this.page.getByTestId('contact-form');
    await form.getByLabel('Number').fill(phone);
    await form.getByLabel('Name').fill(name);
    await form.getByRole('button', { name: 'Add' }).click();
  }

  /** Opens a listed contact in the form and renames it. */
  async rename(currentName: string, newName: string) {
    await this.page.getByTestId('contacts').locator('tr', { hasText: currentName }).getByRole('button', { name: 'Edit' }).click();
    const form = this.page.getByTestId('contact-form');
    await expect(form.getByLabel('Name')).toHaveValue(currentName);
    await form.getByLabel('Name').fill(newName);
    await form.getByRole('button', { name: 'Save' }).click();
  }

  summary(): Locator {
    return this.page.getByTestId('import-summary');
  }

  importErrors(): Locator {
    return this.page.getByTestId('import-errors');
  }

  total(): Locator {
    return this.page.getByTestId('contacts-total');
  }
}

/** The callout list and a callout's page. */
export class CalloutsPage {
  constructor(private readonly page: Page) {}

  async open() {
    await this.page.goto('/callouts');
    await this.page.waitForFunction(() => (window as any).__sbHydrated === true);
  }

  /** Creates a callout and lands on its page. */
  async create(name: string, purpose: string) {
    const form = this.page.getByTestId('new-callout');
    await form.getByLabel('Name').fill(name);
    await form.getByLabel('Purpose').fill(purpose);
    await form.getByRole('button', { name: 'New callout' }).click();
    await this.page.waitForURL(/\/callouts\/\d+$/);
    await expect(this.page.getByTestId('callout-name')).toHaveText(name);
  }

  row(name: string): Locator {
    return this.page.getByTestId('callouts').locator('tr', { hasText: name });
  }

  /** Adds the contacts that have all these tags. */
  async populateByTags(tags: string) {
    const form = this.page.getByTestId('populate');
    await form.getByLabel('Tags (all of)').fill(tags);
    await form.getByRole('button', { name: 'Add matching contacts' }).click();
    await expect(this.page.getByTestId('populated')).toContainText('added');
  }

  /** Opens the settings and saves a caller id. */
  /** The settings card, opened (it stays as it was left: live updates do not redraw it). */
  async settings(): Promise<Locator> {
    const settings = this.page.getByTestId('settings');
    if ((await settings.getAttribute('open')) === null) await settings.locator('summary').click();
    await expect(settings).toHaveAttribute('open', '');
    return settings;
  }

  async setCallerId(number: string) {
    const settings = await this.settings();
    await settings.getByLabel('Caller id (default)').fill(number);
    await settings.getByRole('button', { name: 'Save settings' }).click();
    await expect(settings).toContainText('Saved.');
  }

  number(which: 'participations' | 'remaining' | 'answered' | 'in-flight' | 'calls'): Locator {
    return this.page.getByTestId(`n-${which}`);
  }

  status(): Locator {
    return this.page.getByTestId('callout-status');
  }

  async event(name: 'start' | 'pause' | 'resume') {
    await this.page.locator(`button[data-event="${name}"]`).click();
  }

  async stop() {
    await this.page.locator('button[data-event="stop"]').click();
    await this.page.getByTestId('confirm-stop').click();
  }
}
