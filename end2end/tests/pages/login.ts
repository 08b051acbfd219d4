import { expect, type Page } from '@playwright/test';

/** The sign-in page. */
export class LoginPage {
  constructor(private readonly page: Page) {}

  async open(next?: string) {
    await this.page.goto(next ? `/login?next=${encodeURIComponent(next)}` : '/login');
    await this.waitForHydration();
  }

  /** The form works only once the wasm has hydrated the page. */
  async waitForHydration() {
    await this.page.waitForFunction(() => (window as any).__sbHydrated === true);
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
