import { expect, type Page } from '@playwright/test';

/** The admin page: users and API tokens. */
export class AdminPage {
  constructor(private readonly page: Page) {}

  async open() {
    await this.page.goto('/admin');
    await this.page.waitForFunction(() => (window as any).__sbHydrated === true);
  }

  userRow(username: string) {
    return this.page.locator(`tr[data-username="${username}"]`);
  }

  /** Creates a user with one role and a chosen password. */
  async createUser(username: string, fullName: string, role: string, password: string) {
    const form = this.page.getByTestId('create-user');
    await form.getByLabel('User name').fill(username);
    await form.getByLabel('Full name').fill(fullName);
    for (const r of ['admin', 'coordinator', 'agent', 'manager']) {
      const box = form.locator(`input[name="new-role-${r}"]`);
      if ((r === role) !== (await box.isChecked())) await box.click();
    }
    await form.getByLabel('Password (empty: generate)').fill(password);
    await form.getByRole('button', { name: 'Create user' }).click();
    await expect(this.userRow(username)).toBeVisible();
  }

  async createToken(name: string, scope: string): Promise<string> {
    const form = this.page.getByTestId('create-token');
    await form.getByLabel('Name').fill(name);
    await form.locator(`input[name="scope-${scope}"]`).check();
    await form.getByRole('button', { name: 'Create token' }).click();
    const secret = this.page.getByTestId('secret').locator('code');
    await expect(secret).toHaveText(/^sb_/);
    return (await secret.textContent()) ?? '';
  }
}
