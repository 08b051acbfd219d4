import { expect, type Page } from '@playwright/test';

/** Waits until the wasm has hydrated the page: its event handlers are live from then on. */
export async function hydrated(page: Page) {
  await page.waitForFunction(() => (window as any).__sbHydrated === true);
}

/** Signs in through the form and waits to land on `next`. */
export async function signIn(page: Page, username: string, password: string, next: string) {
  const login = new LoginPage(page);
  await login.open(next);
  await login.signIn(username, password);
  await page.waitForURL(`**${next}`);
}

/** The sign-in page. */
export class LoginPage {
  constructor(private readonly page: Page) {}

  async open(next?: string) {
    await this.page.goto(next ? `/login?next=${encodeURIComponent(next)}` : '/login');
    await this.waitForHydration();
  }

  /** The form works only once the wasm has hydrated the page. */
  async waitForHydration() {
    await hydrated(this.page);
  }

  async signIn(username: string, password: string) {
    await this.page.getByLabel('User name').fill(username);
    await this.page.getByLabel('Password').fill(password);
    await this.page.getByRole('button', { name: 'Sign in' }).click();
  }

  async expectError(text: string | RegExp) {
    await expect(this.page.getByRole('alert')).toHaveText(text);
  }
}
