import { expect, type Page } from '@playwright/test';

/** The header around every signed-in page. */
export class Shell {
  constructor(private readonly page: Page) {}

  currentUser() {
    return this.page.getByTestId('current-user');
  }

  nav() {
    return this.page.locator('nav.areas');
  }

  async expectSignedInAs(name: string) {
    await expect(this.currentUser()).toContainText(name);
  }

  async expectLive() {
    await expect(this.page.getByTestId('live-state')).toHaveText('live');
  }

  async signOut() {
    await this.page.getByRole('button', { name: 'Sign out' }).click();
    await this.page.waitForURL('**/login');
  }
}
