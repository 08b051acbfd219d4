import { test, expect } from '@playwright/test';
import { ADMIN_PASSWORD } from '../playwright.config';
import { LoginPage } from './pages/login';
import { Shell } from './pages/shell';
import { AdminPage } from './pages/admin';

const AGENT = { username: 'e2e-agent', name: 'Erin Agent', password: 'agent-password-123' };

test.describe.serial('foundation', () => {
  test('an admin signs in, sees the shell and signs out', async ({ page }) => {
    const login = new LoginPage(page);
    await page.goto('/');
    await expect(page).toHaveURL(/\/login\?next=%2F|\/login\?next=\//);
    await login.waitForHydration();
    await login.signIn('admin', ADMIN_PASSWORD);
    await page.waitForURL((url) => url.pathname === '/');
    const shell = new Shell(page);
    await shell.expectSignedInAs('Administrator');
    await expect(shell.nav().getByRole('link', { name: 'Admin' })).toBeVisible();
    await shell.expectLive();
    await shell.signOut();
    await page.goto('/');
    await expect(page).toHaveURL(/\/login/);
  });

  test('a wrong password is refused with a message that does not say which part was wrong', async ({ page }) => {
    const login = new LoginPage(page);
    await login.open();
    await login.signIn('admin', 'not-the-password');
    await login.expectError('Wrong user name or password.');
    await expect(page).toHaveURL(/\/login/);
    await login.signIn('nobody-here', 'not-the-password');
    await login.expectError('Wrong user name or password.');
  });

  test('an admin creates an agent and the table updates live in another tab', async ({ page, browser }) => {
    const login = new LoginPage(page);
    await login.open('/admin');
    await login.signIn('admin', ADMIN_PASSWORD);
    await page.waitForURL('**/admin');
    const admin = new AdminPage(page);
    await admin.open();
    await new Shell(page).expectLive();

    // A second signed-in tab watches the same table.
    const other = await browser.newContext();
    const watcher = await other.newPage();
    const login2 = new LoginPage(watcher);
    await login2.open('/admin');
    await login2.signIn('admin', ADMIN_PASSWORD);
    await watcher.waitForURL('**/admin');
    const watcherAdmin = new AdminPage(watcher);
    await watcherAdmin.open();
    await new Shell(watcher).expectLive();

    await admin.createUser(AGENT.username, AGENT.name, 'agent', AGENT.password);
    await expect(admin.userRow(AGENT.username)).toContainText('agent');
    await expect(watcherAdmin.userRow(AGENT.username)).toBeVisible();
    await other.close();
  });

  test('an agent cannot open the admin page, nor call an admin server function', async ({ page }) => {
    const login = new LoginPage(page);
    await login.open();
    await login.signIn(AGENT.username, AGENT.password);
    await page.waitForURL((url) => url.pathname === '/');
    const shell = new Shell(page);
    await shell.expectSignedInAs(AGENT.name);
    await expect(shell.nav().getByRole('link', { name: 'Admin' })).toHaveCount(0);

    const response = await page.goto('/admin');
    expect(response?.status()).toBe(403);
    await expect(page.getByTestId('forbidden')).toBeVisible();

    // Calling the server function directly, with the agent's own session cookie.
    const status = await page.evaluate(async () => {
      const res = await fetch('/api/admin/users', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      return res.status;
    });
    expect(status).toBe(403);
  });
});
